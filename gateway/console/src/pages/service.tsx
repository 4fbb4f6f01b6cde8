import { useState } from "preact/hooks";
import { ApiError, api } from "../api.ts";
import { issuesByField } from "../field-errors.ts";
import { HealthBadge } from "../health-badge.tsx";
import type { Data } from "../main.tsx";
import { Field } from "./register.tsx";

export function ServicePage({ data, name }: { data: Data; name: string }) {
  const service = data.services?.find((s) => s.name === name);
  if (!data.services) return <p>Loading…</p>;
  if (!service)
    return (
      <div class="empty">
        <p>There is no service named “{name}”.</p>
        <a href="#/">Back to the overview</a>
      </div>
    );
  const tools = data.catalog?.tools.filter((t) => t.service === name) ?? [];
  const prompts = data.catalog?.prompts.filter((p) => p.service === name) ?? [];
  const resources = data.catalog?.services.find((s) => s.name === name);
  return (
    <>
      <h1>{service.name}</h1>
      <dl class="facts">
        <dt>URL</dt>
        <dd>{service.url}</dd>
        <dt>MCP revision</dt>
        <dd>{service.revision ?? "not known"}</dd>
        <dt>Health</dt>
        <dd>
          <HealthBadge health={service.health} /> circuit {service.health.circuit}
          {service.health.lastError && <span class="muted"> — {service.health.lastError}</span>}
        </dd>
        <dt>Registered</dt>
        <dd>{new Date(service.createdAt).toLocaleString()}</dd>
        <dt>Updated</dt>
        <dd>{new Date(service.updatedAt).toLocaleString()}</dd>
      </dl>

      <h2>Tools ({tools.length})</h2>
      {tools.length === 0 ? (
        <p class="muted">This service lists no tools.</p>
      ) : (
        <ul class="cards">
          {tools.map((tool) => (
            <li key={tool.name}>
              <a href={`#/tools/${encodeURIComponent(tool.name)}`}>
                <code>{tool.name}</code>
              </a>
              {tool.description && <p>{tool.description}</p>}
              <details>
                <summary>Input schema</summary>
                <pre>{JSON.stringify(tool.inputSchema, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ul>
      )}

      <h2>Resources ({(resources?.resources.length ?? 0) + (resources?.resourceTemplates.length ?? 0)})</h2>
      {resources?.resources.length || resources?.resourceTemplates.length ? (
        <ul>
          {resources.resources.map((r) => (
            <li key={r.uri}>
              <code>{r.uri}</code>
            </li>
          ))}
          {resources.resourceTemplates.map((t) => (
            <li key={t.uriTemplate}>
              <code>{t.uriTemplate}</code> (template)
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">None.</p>
      )}

      <h2>Prompts ({prompts.length})</h2>
      {prompts.length ? (
        <ul>
          {prompts.map((p) => (
            <li key={p.name}>
              <code>{p.name}</code> {p.description && <span class="muted">— {p.description}</span>}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">None.</p>
      )}

      {data.role === "admin" && <Manage data={data} name={name} url={service.url} />}
    </>
  );
}

function Manage({ data, name, url: current }: { data: Data; name: string; url: string }) {
  const [url, setUrl] = useState(current);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [message, setMessage] = useState<string>();
  const [confirming, setConfirming] = useState(false);

  const run = async (action: () => Promise<unknown>, done: string) => {
    setMessage(undefined);
    setErrors({});
    try {
      await action();
      await data.refresh();
      setMessage(done);
    } catch (e) {
      if (e instanceof ApiError) setErrors(issuesByField(e.issues));
      setMessage(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <section aria-labelledby="manage">
      <h2 id="manage">Manage</h2>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(
            () => api("PUT", `/update/${encodeURIComponent(name)}`, { url }),
            "Updated; tools discovered again.",
          );
        }}
      >
        <Field id="update-url" label="MCP URL" errors={errors.url}>
          <input id="update-url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        </Field>
        <button type="submit">Update and rediscover</button>
      </form>
      <div class="danger">
        {confirming ? (
          <>
            <p>Delete “{name}”? Clients lose its tools at once.</p>
            <button
              type="button"
              class="destructive"
              onClick={() =>
                void run(async () => {
                  await api("DELETE", `/delete/${encodeURIComponent(name)}`);
                  location.hash = "#/";
                }, "Deleted.")
              }
            >
              Delete {name}
            </button>{" "}
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" class="destructive" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
      </div>
      {message && (
        <p class="status" role="status">
          {message}
        </p>
      )}
    </section>
  );
}
