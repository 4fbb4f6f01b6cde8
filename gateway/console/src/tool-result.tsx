import type { ToolResult } from "./api.ts";

export function ToolResultView({ result }: { result: ToolResult }) {
  return (
    <section class={`result${result.isError ? " is-error" : ""}`} aria-live="polite" data-testid="tool-result">
      <h3>{result.isError ? "The tool reported an error" : "Result"}</h3>
      {result.content?.map((item, index) =>
        item.type === "text" && "text" in item ? (
          <pre key={index}>{item.text}</pre>
        ) : item.type === "image" && "data" in item ? (
          <img key={index} alt="Returned by the tool" src={`data:${item.mimeType};base64,${item.data}`} />
        ) : (
          <pre key={index}>{JSON.stringify(item, null, 2)}</pre>
        ),
      )}
      {result.structuredContent !== undefined && (
        <details open>
          <summary>Structured content</summary>
          <pre>{JSON.stringify(result.structuredContent, null, 2)}</pre>
        </details>
      )}
    </section>
  );
}
