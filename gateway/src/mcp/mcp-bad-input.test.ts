/**
 * Bad MCP messages, table-driven: each gets the JSON-RPC error the specification names, over HTTP,
 * and leaves the gateway serving.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openRawConnection, rawRequest } from "@mcp-federation/mcp-http/raw-http";
import { startTestStack, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

let stack: TestStack;
const MAX_BODY_BYTES = 64 * 1024;

beforeAll(async () => {
  stack = await startTestStack({
    register: ["shopping"],
    settings: { maxBodyBytes: MAX_BODY_BYTES, bodyReadTimeoutMs: 300 },
  });
});
afterAll(() => stack?.stop());

interface Case {
  name: string;
  body: string;
  headers?: Record<string, string>;
  status: number;
  /** JSON-RPC error code expected in the body. */
  code: number;
}

const rpc = (message: unknown) => JSON.stringify(message);

const MODERN_ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "gateway-test", version: "1.0.0" },
};

const cases: Case[] = [
  { name: "body that is not JSON", body: "{not json", status: 400, code: -32700 },
  { name: "empty body", body: "", status: 400, code: -32700 },
  { name: "JSON that is not JSON-RPC", body: rpc({ hello: "world" }), status: 400, code: -32600 },
  {
    name: "JSON-RPC of the wrong version",
    body: rpc({ jsonrpc: "1.0", id: 1, method: "tools/list" }),
    status: 400,
    code: -32600,
  },
  { name: "a bare number", body: "42", status: 400, code: -32600 },
  {
    name: "a request id that is not an integer",
    body: rpc({ jsonrpc: "2.0", id: 1.5, method: "tools/list" }),
    status: 400,
    code: -32600,
  },
  {
    name: "params that are not an object",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/list", params: [1] }),
    status: 400,
    code: -32600,
  },
  {
    name: "a progress token that is neither a string nor an integer",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { progressToken: {} } } }),
    status: 400,
    code: -32600,
  },
  {
    name: "a request with a member JSON-RPC does not define",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/list", extra: true }),
    status: 400,
    code: -32600,
  },
  { name: "unknown method", body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/explode" }), status: 200, code: -32601 },
  {
    name: "tools/call without a name",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/call", params: {} }),
    status: 200,
    code: -32602,
  },
  {
    name: "tools/call with arguments of the wrong type",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "getProductById", arguments: "123" } }),
    status: 200,
    code: -32602,
  },
  {
    name: "tools/call of an unknown tool",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "nope", arguments: {} } }),
    status: 200,
    code: -32602,
  },
  {
    name: "resources/read without a uri",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "resources/read", params: {} }),
    status: 200,
    code: -32602,
  },
  {
    name: "prompts/get with an argument that is not a string",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "prompts/get", params: { name: "any", arguments: { a: 1 } } }),
    status: 200,
    code: -32602,
  },
  {
    name: "logging/setLevel to a level there is not",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: "loud" } }),
    status: 200,
    code: -32602,
  },
  {
    name: "wrong Content-Type",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    headers: { "Content-Type": "text/plain" },
    status: 415,
    code: -32000,
  },
  {
    name: "body over the limit",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(100_000) } }),
    status: 413,
    code: -32000,
  },
  {
    name: "unsupported protocol version header",
    body: rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    headers: { "Mcp-Protocol-Version": "1999-01-01" },
    status: 400,
    code: -32000,
  },
];

describe("bad MCP messages", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const res = await fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_BEARER}`, ...c.headers },
      body: c.body,
    });
    expect(res.status).toBe(c.status);
    const body = (await res.json()) as { jsonrpc: string; error?: { code: number; message: string } };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.error?.code).toBe(c.code);
    expect(body.error?.message.length).toBeGreaterThan(0);
  });

  // Both revisions' requests reach the same handlers, which name what is wrong with the params.
  test.each([
    ["tools/list", { cursor: 5 }],
    ["resources/read", { uri: 7 }],
    ["prompts/get", { name: "shopping__x", arguments: { a: 1 } }],
  ] as const)("a 2026-07-28 %s with params of the wrong type gets -32602", async (method, params) => {
    const res = await fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${TEST_BEARER}`,
        "Mcp-Protocol-Version": "2026-07-28",
        "Mcp-Method": method,
        ...("name" in params ? { "Mcp-Name": params.name } : {}),
      },
      body: rpc({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: MODERN_ENVELOPE } }),
    });
    const body = (await res.json()) as { error?: { code: number; message: string } };
    expect(body.error?.code).toBe(-32602);
    expect(body.error?.message).toContain(`Invalid params for ${method}`);
  });

  test("a batch is answered message by message", async () => {
    const res = await fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_BEARER}` },
      body: rpc([
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { jsonrpc: "2.0", id: 2, method: "tools/explode" },
      ]),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: number; result?: unknown; error?: { code: number } }[];
    expect(body).toBeArray();
    const byId = new Map(body.map((m) => [m.id, m]));
    expect(byId.get(1)?.result).toBeDefined();
    expect(byId.get(2)?.error?.code).toBe(-32601);
  });

  test.each(["a@b", "a b", "[::1"])("Host %p gets 400 as JSON before auth, on every route", async (host) => {
    for (const path of ["/health", "/mcp", "/services"]) {
      const response = await rawRequest(
        stack.gw.server.port ?? 0,
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: "bad_request" } });
    }
  });

  test("a batch that repeats a request id is refused whole, with an error for each request, as an array", async () => {
    const res = await fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_BEARER}` },
      body: rpc([
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: "other", method: "ping" },
        { jsonrpc: "2.0", method: "notifications/initialized" },
      ]),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: unknown; error: { code: number; message: string } }[];
    expect(body).toBeArray();
    expect(body.map((m) => m.id)).toEqual([1, 1, "other"]);
    for (const answer of body) expect(answer.error.code).toBe(-32600);
    expect(body[0]?.error.message).toContain("more than one request");
  });

  const authorizedHead = (extra: string) =>
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_BEARER}\r\n` +
    `Content-Type: application/json\r\n${extra}\r\n`;

  test("a chunked body over the limit is cut off while it streams, with 413", async () => {
    const connection = await openRawConnection(stack.gw.server.port ?? 0);
    const chunk = "x".repeat(16 * 1024);
    const chunksToSend = (64 * MAX_BODY_BYTES) / chunk.length;
    let sent = 0;
    try {
      await connection.write(authorizedHead("Transfer-Encoding: chunked\r\n"));
      // Stops at the answer; the server may also close the socket, which ends the writes.
      while (sent < chunksToSend && !connection.answered()) {
        const written = await connection.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`).then(
          () => true,
          () => false,
        );
        if (!written) break;
        sent++;
      }
      if (sent === chunksToSend) await connection.write("0\r\n\r\n").catch(() => {});
      const response = await connection.response;
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body).error.code).toBe(-32000);
      // Answered long before the 4 MiB were sent: the limit applied to what arrived, not to the whole body.
      expect(sent).toBeLessThan(chunksToSend);
    } finally {
      connection.close();
    }
  });

  test("a body that never completes is given up after the body read timeout, with 408", async () => {
    const connection = await openRawConnection(stack.gw.server.port ?? 0);
    try {
      await connection.write(`${authorizedHead("Content-Length: 100\r\n")}{"jsonrpc":`);
      const response = await connection.response;
      expect(response.status).toBe(408);
      expect(JSON.parse(response.body).error.code).toBe(-32000);
    } finally {
      connection.close();
    }
  });

  test("the gateway still serves after all of the above", async () => {
    const { tools } = await (await stack.gw.client()).listTools();
    expect(tools.map((t) => t.name)).toContain("getProductById");
  });
});
