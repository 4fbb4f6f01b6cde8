/**
 * A tool's result cut to the tool's byte limit, for tools whose limit truncates rather than fails: the
 * content items that fit are kept in order, the first that does not is cut if it is text, and a marker
 * says so. Sizes are those of the JSON the client receives.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";

type Content = CallToolResult["content"][number];

const encoder = new TextEncoder();

function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** `result` itself when it fits in `maxBytes`; else its content cut to fit, ending with a marker. */
export function truncateResult(result: CallToolResult, maxBytes: number, tool: string): CallToolResult {
  const size = jsonBytes(result);
  if (size <= maxBytes) return result;
  const marker: Content = {
    type: "text",
    text: `[truncated by the gateway: the result of "${tool}" was ${size} bytes, more than the ${maxBytes} this tool may return]`,
  };
  const truncated = (content: Content[]): CallToolResult => ({
    ...(result.isError ? { isError: true } : {}),
    content: [...content, marker],
  });
  let budget = maxBytes - jsonBytes(truncated([]));
  const kept: Content[] = [];
  for (const item of result.content ?? []) {
    // One more byte for the comma before it.
    const cost = jsonBytes(item) + 1;
    if (cost <= budget) {
      kept.push(item);
      budget -= cost;
      continue;
    }
    if (item.type === "text") {
      const cut = cutText(item, budget - 1);
      if (cut) kept.push(cut);
    }
    break;
  }
  return truncated(kept);
}

/** The longest prefix of the item's text whose JSON fits in `budget` bytes, found by bisection. */
function cutText(item: Extract<Content, { type: "text" }>, budget: number): Content | undefined {
  const withText = (length: number) => ({ ...item, text: wholeCharacters(item.text.slice(0, length)) });
  if (jsonBytes(withText(0)) > budget) return undefined;
  let low = 0;
  let high = item.text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (jsonBytes(withText(middle)) <= budget) low = middle;
    else high = middle - 1;
  }
  return withText(low);
}

/** Drops a lone high surrogate a cut may leave at the end. */
function wholeCharacters(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}
