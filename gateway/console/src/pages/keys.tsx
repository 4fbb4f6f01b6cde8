import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, type ApiKey, api } from "../api.ts";
import { issuesByField } from "../field-errors.ts";
import { parseList } from "../list-input.ts";
import type { Data } from "../main.tsx";
import { Field } from "./register.tsx";

/** API keys for machine clients: the secret appears once, right after creation, and nowhere else. */
export function Keys({ data }: { data: Data }) {
  const [keys, setKeys] = useState<ApiKey[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setKeys((await api<{ keys: ApiKey[] }>("GET", "/keys")).keys);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <h1>API keys</h1>
      <p>
        Keys let machine clients call `/mcp` as `Authorization: Bearer mcpk_…`; their scopes decide what they may use.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data.role === "admin" && <CreateKey onCreated={load} />}
      {!keys ? (
        <p>Loading keys…</p>
      ) : keys.length === 0 ? (
        <p class="empty">No API keys yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Active API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Limit a minute</th>
                <th scope="col">Expires</th>
                {data.role === "admin" && <th scope="col">Revoke</th>}
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-key={key.name}>
                  <th scope="row">{key.name}</th>
                  <td class="small">{key.scopes.join(", ") || "—"}</td>
                  <td>{key.rateLimitPerMinute ?? "—"}</td>
                  <td class="small">{key.expiresAt ? new Date(key.expiresAt).toLocaleString() : "never"}</td>
                  {data.role === "admin" && (
                    <td>
                      <button
                        type="button"
                        class="destructive"
                        aria-label={`Revoke ${key.name}`}
                        onClick={() => void api("DELETE", `/keys/${key.id}`).then(load, (e) => setError(String(e)))}
                      >
                        Revoke
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CreateKey({ onCreated }: { onCreated: () => Promise<void> }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState("mcp:tools");
  const [limit, setLimit] = useState("");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [secret, setSecret] = useState<string>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setErrors({});
    setSecret(undefined);
    try {
      const body = { name, scopes: parseList(scopes), ...(limit ? { rateLimitPerMinute: Number(limit) } : {}) };
      const created = await api<{ secret: string }>("POST", "/keys", body);
      setSecret(created.secret);
      setName("");
      await onCreated();
    } catch (e) {
      setErrors(e instanceof ApiError ? { ...issuesByField(e.issues), form: [e.message] } : { form: [String(e)] });
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="create-key">
      <h2 id="create-key">Create a key</h2>
      <Field id="key-name" label="Name" errors={errors.name}>
        <input id="key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field
        id="key-scopes"
        label="Scopes"
        hint="Comma-separated, e.g. mcp:tools, mcp:services:shopping-service"
        errors={errors.scopes}
      >
        <input id="key-scopes" value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
      </Field>
      <Field id="key-limit" label="Tool calls a minute (optional)" errors={errors.rateLimitPerMinute}>
        <input id="key-limit" inputMode="numeric" value={limit} onInput={(e) => setLimit(e.currentTarget.value)} />
      </Field>
      {errors.form && (
        <p class="error" role="alert">
          {errors.form[0]}
        </p>
      )}
      <button type="submit">Create key</button>
      {secret && (
        <div class="secret" role="status">
          <p>
            <strong>Copy this key now:</strong> it is not shown again.
          </p>
          <code data-testid="new-secret">{secret}</code>
        </div>
      )}
    </form>
  );
}
