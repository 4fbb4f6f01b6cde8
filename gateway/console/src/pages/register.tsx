import { useState } from "preact/hooks";
import { ApiError, api, type Service } from "../api.ts";
import { issuesByField, parseHeaderLines } from "../field-errors.ts";
import type { Data } from "../main.tsx";

export function Register({ data }: { data: Data }) {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [headers, setHeaders] = useState("");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (data.role !== "admin") return <p>Only an admin may register services.</p>;

  const submit = async (event: Event) => {
    event.preventDefault();
    const parsedHeaders = parseHeaderLines(headers);
    if (headers.trim() && !parsedHeaders) {
      setErrors({ headers: ["write one header a line, as Name: value"] });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      const body = { name, url, ...(parsedHeaders ? { headers: parsedHeaders } : {}) };
      const { service } = await api<{ service: Service }>("POST", "/register", body);
      await data.refresh();
      location.hash = `#/services/${encodeURIComponent(service.name)}`;
    } catch (e) {
      if (e instanceof ApiError) {
        setErrors(issuesByField(e.issues));
        setMessage(e.message);
      } else setMessage(String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Register a service</h1>
      <p>The gateway connects to the service, discovers its tools, resources and prompts, and serves them.</p>
      <form onSubmit={submit} class="form" noValidate>
        <Field id="name" label="Name" hint="Letters, digits, - and _" errors={errors.name}>
          <input id="name" value={name} onInput={(e) => setName(e.currentTarget.value)} autocomplete="off" />
        </Field>
        <Field id="url" label="MCP URL" hint="For example http://localhost:3002/mcp" errors={errors.url}>
          <input
            id="url"
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            inputMode="url"
            autocomplete="off"
          />
        </Field>
        <Field
          id="headers"
          label="Headers (optional)"
          hint="One a line, as Name: value; stored encrypted"
          errors={errors.headers}
        >
          <textarea id="headers" rows={3} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
        </Field>
        {message && (
          <p class="error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Registering…" : "Register"}
        </button>
      </form>
    </>
  );
}

export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  errors?: string[];
  children: preact.ComponentChildren;
}) {
  const { id, label, hint, errors, children } = props;
  return (
    <div class={`field${errors?.length ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && <p class="hint">{hint}</p>}
      {errors?.map((error) => (
        <p class="field-error" id={`${id}-error`} key={error}>
          {error}
        </p>
      ))}
    </div>
  );
}
