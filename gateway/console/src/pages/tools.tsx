import { useMemo, useState } from "preact/hooks";
import { api, type CatalogTool, type ToolResult } from "../api.ts";
import type { Data } from "../main.tsx";
import { SchemaForm } from "../schema-form.tsx";
import { ToolResultView } from "../tool-result.tsx";

const SHOWN = 50;

export function Tools({ data, selected }: { data: Data; selected: string | undefined }) {
  const [query, setQuery] = useState("");
  const tools = data.catalog?.tools;
  // Lower-cased once per catalog, so a keystroke over 10,000 tools is one pass of `includes`.
  const index = useMemo(
    () =>
      (tools ?? []).map((tool) => ({
        tool,
        text: `${tool.name} ${tool.title ?? ""} ${tool.description ?? ""} ${tool.service}`.toLowerCase(),
      })),
    [tools],
  );
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = words.length ? index.filter(({ text }) => words.every((w) => text.includes(w))) : index;
  const tool = selected ? tools?.find((t) => t.name === selected) : undefined;

  if (!tools) return <p>Loading tools…</p>;
  return (
    <div class="split">
      <section aria-labelledby="tools-heading">
        <h1 id="tools-heading">Tools</h1>
        <label for="search">Search {tools.length} tools</label>
        <input
          id="search"
          type="search"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          placeholder="name, description or service"
        />
        <p class="muted small" role="status">
          {matches.length} {matches.length === 1 ? "match" : "matches"}
          {matches.length > SHOWN ? `, first ${SHOWN} shown` : ""}
        </p>
        {tools.length === 0 ? (
          <p class="empty">No tools yet: register a service that offers some.</p>
        ) : (
          <ul class="tool-list">
            {matches.slice(0, SHOWN).map(({ tool: t }) => (
              <li key={t.name}>
                <a
                  href={`#/tools/${encodeURIComponent(t.name)}`}
                  aria-current={t.name === selected ? "true" : undefined}
                >
                  <code>{t.name}</code> <span class="muted small">{t.service}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label="Tool details">
        {tool ? (
          <ToolDetail key={tool.name} tool={tool} canCall={data.role === "admin"} />
        ) : selected ? (
          <p>No tool named “{selected}”.</p>
        ) : (
          <p class="muted">Choose a tool to see its schema and try it.</p>
        )}
      </section>
    </div>
  );
}

function ToolDetail({ tool, canCall }: { tool: CatalogTool; canCall: boolean }) {
  const [result, setResult] = useState<ToolResult>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const call = async (args: Record<string, unknown>) => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const answer = await api<{ result: ToolResult }>("POST", `/tools/${encodeURIComponent(tool.name)}/call`, {
        arguments: args,
      });
      setResult(answer.result);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h2>
        <code>{tool.name}</code>
      </h2>
      <p class="muted">
        from <a href={`#/services/${encodeURIComponent(tool.service)}`}>{tool.service}</a>
        {tool.tool !== tool.name && ` (named “${tool.tool}” there)`}
      </p>
      {tool.description && <p>{tool.description}</p>}
      <details>
        <summary>Input schema</summary>
        <pre>{JSON.stringify(tool.inputSchema, null, 2)}</pre>
      </details>
      {tool.outputSchema && (
        <details>
          <summary>Output schema</summary>
          <pre>{JSON.stringify(tool.outputSchema, null, 2)}</pre>
        </details>
      )}
      <h3>Try it</h3>
      {canCall ? (
        <SchemaForm schema={tool.inputSchema} busy={busy} onSubmit={call} />
      ) : (
        <p class="muted">Only an admin may call tools from the console.</p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {result && <ToolResultView result={result} />}
    </>
  );
}
