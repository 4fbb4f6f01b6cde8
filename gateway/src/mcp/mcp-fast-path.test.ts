/**
 * The fast path answers a lone tools/list or tools/call as JSON, with exactly the message the SDK path
 * sends. A client that reads only event streams still gets the SDK's answer, which is what each fast
 * answer is compared with.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestStack, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ register: ["shopping"] });
});
afterAll(() => stack?.stop());

const SDK_ACCEPT = "application/json, text/event-stream";
const STREAM_ONLY = "text/event-stream";

/** POSTs one message; returns the response's content type and the JSON-RPC message it carried, as text. */
async function exchange(message: object, accept: string): Promise<{ type: string; text: string }> {
  const response = await fetch(`${stack.gw.url}/mcp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: accept, Authorization: `Bearer ${TEST_BEARER}` },
    body: JSON.stringify(message),
  });
  expect(response.status).toBe(200);
  const type = response.headers.get("content-type") ?? "";
  const body = await response.text();
  if (!type.startsWith("text/event-stream")) return { type, text: body };
  const data = /^data: (.*)$/m.exec(body)?.[1];
  if (data === undefined) throw new Error(`no event in ${body}`);
  return { type, text: data };
}

/** The fast answer, checked to be JSON and to equal the SDK's streamed answer byte for byte. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
async function fastAnswerMatchingSdk(message: object): Promise<any> {
  const [fast, sdk] = await Promise.all([exchange(message, SDK_ACCEPT), exchange(message, STREAM_ONLY)]);
  expect(fast.type).toStartWith("application/json");
  expect(sdk.type).toStartWith("text/event-stream");
  expect(fast.text).toBe(sdk.text);
  return JSON.parse(fast.text);
}

describe("the fast path", () => {
  test("answers tools/list with the SDK's message and the request's own id", async () => {
    const answer = await fastAnswerMatchingSdk({ jsonrpc: "2.0", id: "list-1", method: "tools/list" });
    expect(answer.id).toBe("list-1");
    expect(answer.result.tools.map((t: { name: string }) => t.name).sort()).toEqual([
      "getProductById",
      "searchProducts",
    ]);
  });

  test("compresses the list for clients that accept gzip, and only for them", async () => {
    const list = async (acceptEncoding: string) => {
      const response = await fetch(`${stack.gw.url}/mcp`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${TEST_BEARER}`,
          "Accept-Encoding": acceptEncoding,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }),
      });
      return {
        encoding: response.headers.get("content-encoding"),
        vary: response.headers.get("vary"),
        text: await response.text(),
      };
    };
    const [gzip, identity, refused] = await Promise.all([list("br, gzip;q=0.8"), list("identity"), list("gzip;q=0")]);
    expect(gzip.encoding).toBe("gzip");
    expect(identity.encoding).toBeNull();
    expect(refused.encoding).toBeNull();
    expect(gzip.vary).toBe("Accept-Encoding");
    expect(gzip.text).toBe(identity.text);
    expect(JSON.parse(gzip.text).id).toBe(3);
  });

  test("answers tools/call with the SDK's message", async () => {
    const call = {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "getProductById", arguments: { id: "123" } },
    };
    const answer = await fastAnswerMatchingSdk(call);
    expect(answer.id).toBe(7);
    expect(answer.result.structuredContent.id).toBe("123");
  });

  test("passes a tool's own failure through as the SDK does", async () => {
    const call = {
      jsonrpc: "2.0",
      id: 8,
      method: "tools/call",
      params: { name: "getProductById", arguments: { id: "no-such-product" } },
    };
    const answer = await fastAnswerMatchingSdk(call);
    expect(answer.result.isError).toBe(true);
  });

  test("answers a backend's protocol error as the SDK does", async () => {
    // The shopping service rejects an id that is neither a string nor an integer.
    const call = {
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "getProductById", arguments: { id: true } },
    };
    const answer = await fastAnswerMatchingSdk(call);
    expect(answer.id).toBe(9);
    expect(answer.error ?? answer.result?.isError).toBeTruthy();
  });

  test("lists a newly registered service's tools at once", async () => {
    const before = await fastAnswerMatchingSdk({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(before.result.tools.map((t: { name: string }) => t.name)).not.toContain("getUserById");
    expect((await stack.gw.admin("POST", "/register", { name: "user-service", url: stack.user.url })).status).toBe(201);
    const after = await fastAnswerMatchingSdk({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(after.result.tools.map((t: { name: string }) => t.name)).toContain("getUserById");
  });

  test("leaves an unknown tool to the SDK, whose error is unchanged", async () => {
    const call = { jsonrpc: "2.0", id: 10, method: "tools/call", params: { name: "noSuchTool", arguments: {} } };
    const [viaSdkClient, streamOnly] = await Promise.all([exchange(call, SDK_ACCEPT), exchange(call, STREAM_ONLY)]);
    expect(viaSdkClient.text).toBe(streamOnly.text);
    expect(JSON.parse(viaSdkClient.text).error.message).toContain('Unknown tool "noSuchTool"');
  });
});
