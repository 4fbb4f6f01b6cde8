import { expect, test } from "bun:test";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { isPlainToolResult } from "./plain-tool-result.ts";

const text = (t: string) => ({ type: "text", text: t });

test("a plain result is recognised, and the schema would give back the same JSON", () => {
  for (const result of [
    { content: [] },
    { content: [text("a")] },
    { content: [text("a"), text("b")], isError: false },
    { content: [text("no such product")], isError: true },
    { content: [text("{}")], structuredContent: {} },
    { content: [text("a")], structuredContent: { id: "1", tags: ["x"], nested: { n: 1 } }, isError: false },
  ]) {
    expect(isPlainToolResult(result)).toBe(true);
    expect(JSON.stringify(CallToolResultSchema.parse(result))).toBe(JSON.stringify(result));
  }
});

test("anything the schema might change or refuse goes to the schema", () => {
  for (const result of [
    // The schema reorders keys: passing these on as they are would change the bytes sent.
    { isError: true, content: [text("a")] },
    { content: [{ text: "a", type: "text" }] },
    { structuredContent: { a: 1 }, content: [text("a")] },
    { content: [text("a")], isError: false, structuredContent: { a: 1 } },
    { content: [text("a")], structuredContent: [1] },
    { content: [text("a")], structuredContent: null },
    { content: [text("a")], structuredContent: JSON.parse('{"__proto__": {"a": 1}}') },
    { structuredContent: { a: 1 } },
    { isError: false },
    { content: [text("a")], _meta: { x: 1 } },
    { content: [{ ...text("a"), annotations: { priority: 1 } }] },
    { content: [{ type: "image", data: "AAAA", mimeType: "image/png" }] },
    { content: [{ type: "text", text: 1 }] },
    { content: [text("a")], isError: "yes" },
    { content: "a" },
    {},
    [],
    null,
    "text",
  ]) {
    expect({ result, plain: isPlainToolResult(result) }).toEqual({ result, plain: false });
  }
});
