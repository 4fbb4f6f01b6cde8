/**
 * The 2026-07-28 wire details the gateway adds to a backend request and takes off its results; what a
 * real v2 backend makes of them is tested end to end in backend-revisions.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { fromModernResult, modernRequestHeaders, withModernEnvelope } from "./modern-wire.ts";

describe("modernRequestHeaders", () => {
  test("name the method, and the name a call, read or prompt is about", () => {
    expect(modernRequestHeaders("tools/list", {})).toEqual({ "Mcp-Method": "tools/list" });
    expect(modernRequestHeaders("tools/call", { name: "getUserById" })).toEqual({
      "Mcp-Method": "tools/call",
      "Mcp-Name": "getUserById",
    });
    expect(modernRequestHeaders("resources/read", { uri: "test://static-text" })["Mcp-Name"]).toBe(
      "test://static-text",
    );
  });

  test.each([
    ["non-ASCII text", "file:///Bücher/ß.txt"],
    ["surrounding spaces", " padded "],
    ["text that looks encoded", "=?base64?aGk=?="],
  ])("carry a name with %s in the revision's Base64 form", (_, name) => {
    const header = modernRequestHeaders("resources/read", { uri: name })["Mcp-Name"] ?? "";
    const encoded = /^=\?base64\?(.*)\?=$/.exec(header)?.[1];
    expect(encoded).toBeDefined();
    expect(Buffer.from(encoded ?? "", "base64").toString("utf8")).toBe(name);
  });
});

describe("withModernEnvelope", () => {
  test("adds the revision, client and capabilities, keeping the caller's own _meta", () => {
    const params = withModernEnvelope({ name: "t", _meta: { progressToken: 7 } }, "2026-07-28", {
      clientInfo: { name: "gw", version: "1" },
      capabilities: { elicitation: {} },
      logLevel: "info",
    });
    expect(params).toEqual({
      name: "t",
      _meta: {
        progressToken: 7,
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { name: "gw", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
        "io.modelcontextprotocol/logLevel": "info",
      },
    });
  });
});

describe("fromModernResult", () => {
  const serverInfo = { "io.modelcontextprotocol/serverInfo": { name: "backend", version: "1" } };

  test("drops a complete result's resultType and the backend's serverInfo, keeping other _meta", () => {
    expect(fromModernResult({ content: [], resultType: "complete", _meta: { ...serverInfo, trace: "x" } })).toEqual({
      content: [],
      _meta: { trace: "x" },
    });
    expect(fromModernResult({ content: [], resultType: "complete", _meta: serverInfo })).toEqual({ content: [] });
  });

  test("keeps an input-required result's resultType, which the gateway relays", () => {
    const asking = { resultType: "input_required", inputRequests: {}, requestState: "s", _meta: serverInfo };
    expect(fromModernResult(asking)).toEqual({ resultType: "input_required", inputRequests: {}, requestState: "s" });
  });

  test("leaves a result with neither as it is", () => {
    const result = { content: [{ type: "text", text: "hi" }], _meta: { trace: "x" } };
    expect(fromModernResult(result)).toBe(result);
  });
});
