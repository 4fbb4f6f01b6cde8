import { useCallback, useEffect, useState } from "preact/hooks";
import { type AuditEvent, api } from "../api.ts";

/** The audit log, newest first, filtered by kind and paged with the API's cursor. */
export function Audit() {
  const [kind, setKind] = useState("");
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);

  const load = useCallback(
    async (from?: string) => {
      setLoading(true);
      try {
        const query = new URLSearchParams({
          limit: "50",
          ...(kind ? { kind } : {}),
          ...(from ? { cursor: from } : {}),
        });
        const page = await api<{ events: AuditEvent[]; nextCursor?: string }>("GET", `/audit?${query}`);
        setEvents((current) => (from ? [...current, ...page.events] : page.events));
        setCursor(page.nextCursor);
        setError(undefined);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      } finally {
        setLoading(false);
      }
    },
    [kind],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <h1>Audit log</h1>
      <label for="audit-kind">Show</label>
      <select id="audit-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
        <option value="">everything</option>
        <option value="admin">admin changes</option>
        <option value="tool_call">tool calls</option>
      </select>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!loading && events.length === 0 ? (
        <p class="empty">Nothing recorded yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">On</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id} data-action={event.action}>
                  <td class="small">{new Date(event.at).toLocaleString()}</td>
                  <td class="small">{event.actor}</td>
                  <td>{event.action}</td>
                  <td class="small">{[event.service, event.tool ?? event.target].filter(Boolean).join(" / ")}</td>
                  <td class="small">
                    {event.outcome ?? ""}
                    {event.durationMs !== undefined ? ` (${event.durationMs} ms)` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="secondary" disabled={loading} onClick={() => void load(cursor)}>
          Older events
        </button>
      )}
    </>
  );
}
