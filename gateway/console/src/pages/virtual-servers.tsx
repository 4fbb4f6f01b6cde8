import { Fragment } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, api, type VirtualServer } from "../api.ts";
import { issuesByField } from "../field-errors.ts";
import { parseList } from "../list-input.ts";
import type { Data } from "../main.tsx";
import { Field } from "./register.tsx";

const LISTS = ["services", "tools", "prompts", "resources", "allowedScopes", "allowedRoles"] as const;
const HINTS: Record<(typeof LISTS)[number], string> = {
  services: "Every tool, resource and prompt of these services",
  tools: "Exact names or globs, e.g. get* or shopping-service/*",
  prompts: "Exact names or globs",
  resources: "URIs or URI templates, exact or globs",
  allowedScopes: "Callers with one of these scopes may use it",
  allowedRoles: "Callers with one of these roles may use it",
};

/** Named selections of the catalog, each served at /servers/<name>/mcp. */
export function VirtualServers({ data }: { data: Data }) {
  const [servers, setServers] = useState<VirtualServer[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setServers((await api<{ virtualServers: VirtualServer[] }>("GET", "/virtual-servers")).virtualServers);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, data.catalog?.version]);

  return (
    <>
      <h1>Virtual servers</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!servers ? (
        <p>Loading…</p>
      ) : servers.length === 0 ? (
        <p class="empty">
          No virtual servers yet: <code>/mcp</code> serves the whole catalog.
        </p>
      ) : (
        <ul class="cards">
          {servers.map((server) => (
            <li key={server.name} data-virtual-server={server.name}>
              <strong>{server.name}</strong> <code class="small">{server.path}</code>
              {server.description && <p>{server.description}</p>}
              <dl class="facts small">
                {LISTS.filter((list) => server[list].length > 0).map((list) => (
                  <Fragment key={list}>
                    <dt>{list}</dt>
                    <dd>{server[list].join(", ")}</dd>
                  </Fragment>
                ))}
              </dl>
              {data.role === "admin" && (
                <button
                  type="button"
                  class="destructive"
                  aria-label={`Delete ${server.name}`}
                  onClick={() =>
                    void api("DELETE", `/virtual-servers/${encodeURIComponent(server.name)}`).then(load, (e) =>
                      setError(String(e)),
                    )
                  }
                >
                  Delete
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {data.role === "admin" && <CreateServer onCreated={load} />}
    </>
  );
}

function CreateServer({ onCreated }: { onCreated: () => Promise<void> }) {
  const [name, setName] = useState("");
  const [lists, setLists] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string[]>>({});

  const submit = async (event: Event) => {
    event.preventDefault();
    setErrors({});
    try {
      const body = { name, ...Object.fromEntries(LISTS.map((list) => [list, parseList(lists[list] ?? "")])) };
      await api("POST", "/virtual-servers", body);
      setName("");
      setLists({});
      await onCreated();
    } catch (e) {
      setErrors(e instanceof ApiError ? { ...issuesByField(e.issues), form: [e.message] } : { form: [String(e)] });
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="create-server">
      <h2 id="create-server">Create a virtual server</h2>
      <Field id="vs-name" label="Name" errors={errors.name}>
        <input id="vs-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      {LISTS.map((list) => (
        <Field key={list} id={`vs-${list}`} label={list} hint={HINTS[list]} errors={errors[list]}>
          <input
            id={`vs-${list}`}
            value={lists[list] ?? ""}
            onInput={(e) => setLists((current) => ({ ...current, [list]: e.currentTarget.value }))}
          />
        </Field>
      ))}
      {errors.form && (
        <p class="error" role="alert">
          {errors.form[0]}
        </p>
      )}
      <button type="submit">Create virtual server</button>
    </form>
  );
}
