/**
 * Recognises the tool result nearly every backend sends, text content and perhaps structured content
 * and `isError`, in the shape and key order the SDK's CallToolResultSchema gives back: for such a
 * result the schema's parse returns an equal copy, which is most of a forwarded call's own JavaScript
 * time, so the fast path passes the result on as it is. Anything else (other content types, `_meta`,
 * annotations, another key order) still goes through the schema.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";

/** The keys the schema gives back, in its order; only `content` is required. */
const KEY_ORDER = ["content", "structuredContent", "isError"];

/** A tool result whose JSON the SDK's schemas give back unchanged. */
export type PlainToolResult = CallToolResult;

export function isPlainToolResult(value: unknown): value is PlainToolResult {
  if (!isRecord(value)) return false;
  const result = value as Record<string, unknown>;
  let next = 0;
  for (const key in result) {
    const at = KEY_ORDER.indexOf(key, next);
    if (at < 0 || (next === 0 && at !== 0)) return false;
    next = at + 1;
  }
  if (next === 0) return false;
  if ("isError" in result && typeof result.isError !== "boolean") return false;
  // The schema copies a record key by key; a `__proto__` key is where a copy could differ.
  const structured = result.structuredContent;
  if ("structuredContent" in result && (!isRecord(structured) || Object.hasOwn(structured, "__proto__"))) return false;
  const content = result.content;
  if (!Array.isArray(content)) return false;
  for (const item of content) if (!isTextItem(item)) return false;
  return true;
}

function isRecord(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTextItem(item: unknown): boolean {
  if (!isRecord(item)) return false;
  const fields = item as Record<string, unknown>;
  let keys = 0;
  for (const key in fields) {
    if (key !== (keys === 0 ? "type" : "text")) return false;
    keys++;
  }
  return keys === 2 && fields.type === "text" && typeof fields.text === "string";
}
