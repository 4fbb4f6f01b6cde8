/**
 * Recognises the tool result nearly every backend sends, text content and perhaps `isError`, in the
 * shape and key order the SDK's CallToolResultSchema gives back: for such a result the schema's parse
 * returns an equal copy, which is most of a forwarded call's own JavaScript time, so the fast path
 * passes the result on as it is. Anything else (other content types, structured content, `_meta`,
 * annotations, another key order) still goes through the schema.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export function isPlainTextResult(value: unknown): value is CallToolResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const result = value as Record<string, unknown>;
  let keys = 0;
  for (const key in result) {
    if (key !== (keys === 0 ? "content" : "isError")) return false;
    keys++;
  }
  if (keys === 2 && typeof result.isError !== "boolean") return false;
  const content = result.content;
  if (!Array.isArray(content)) return false;
  for (const item of content) if (!isTextItem(item)) return false;
  return true;
}

function isTextItem(item: unknown): boolean {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return false;
  const fields = item as Record<string, unknown>;
  let keys = 0;
  for (const key in fields) {
    if (key !== (keys === 0 ? "type" : "text")) return false;
    keys++;
  }
  return keys === 2 && fields.type === "text" && typeof fields.text === "string";
}
