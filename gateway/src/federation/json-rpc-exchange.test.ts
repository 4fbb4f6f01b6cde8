import { afterAll, describe, expect, test } from "bun:test";
import { ProtocolError } from "@modelcontextprotocol/client";
import { exchange } from "./json-rpc-exchange.ts";
import { TransportFailure } from "./transport-failure.ts";

const event = (message: object) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** Answers each request by its method: the canned answers below, whatever a real backend might say. */
const answers: Record<string, (id: unknown) => Response> = {
  json: (id) =>
    Response.json([
      { jsonrpc: "2.0", method: "notifications/message", params: {} },
      { jsonrpc: "2.0", id, result: { raw: { kept: [1, "a"] } } },
    ]),
  rpcError: (id) =>
    Response.json({ jsonrpc: "2.0", id, error: { code: -32602, message: "bad arguments", data: { field: "id" } } }),
  unauthorized: () =>
    Response.json(
      { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Unauthorized: invalid bearer token" } },
      { status: 401 },
    ),
  redirect: () => new Response(null, { status: 307, headers: { Location: "http://example.com/mcp" } }),
  streamEndsEarly: () =>
    new Response(event({ jsonrpc: "2.0", method: "notifications/message", params: {} }), {
      headers: { "Content-Type": "text/event-stream" },
    }),
  text: () => new Response("hello", { headers: { "Content-Type": "text/plain" } }),
};

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const message = (await request.json()) as { id: unknown; method: string };
    return answers[message.method]?.(message.id) ?? new Response(null, { status: 500 });
  },
});
afterAll(() => server.stop(true));

const send = (method: string) =>
  exchange(
    { id: 1, method },
    {
      fetch,
      url: new URL(`http://127.0.0.1:${server.port}/mcp`),
      headers: { "Content-Type": "application/json" },
      timeoutMs: 5000,
    },
  );

describe("exchange", () => {
  test("takes the answer out of a JSON batch, result as sent", async () => {
    expect((await send("json")).result).toEqual({ raw: { kept: [1, "a"] } });
  });

  test("throws a JSON-RPC error answer as ProtocolError with its code, message and data", async () => {
    const error = await send("rpcError").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: -32602, data: { field: "id" } });
    expect((error as Error).message).toContain("bad arguments");
  });

  test.each([
    ["unauthorized", "the service answered HTTP 401: Unauthorized: invalid bearer token"],
    ["redirect", "the service answered HTTP 307 (redirects are not followed)"],
    ["streamEndsEarly", "the service closed the connection before answering"],
    ["text", 'the service answered HTTP 200 with content type "text/plain" instead of an MCP answer'],
  ])("%s is a transport failure: %s", async (method, reason) => {
    const error = await send(method).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect((error as Error).message).toBe(reason);
  });
});
