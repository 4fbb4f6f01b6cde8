import { afterAll, describe, expect, test } from "bun:test";
import { ProtocolError } from "@modelcontextprotocol/client";
import { exchange } from "./json-rpc-exchange.ts";
import { TransportFailure } from "./transport-failure.ts";

const event = (message: object) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;
const LOG = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "working" } };
const EVENT_STREAM = { "Content-Type": "text/event-stream" };

/** A body of no declared length, sent in `parts` (Bun.serve frames it chunked), as a streaming server sends it. */
const streamed = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });

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
  streamedEndsEarly: () => new Response(streamed(event(LOG)), { headers: EVENT_STREAM }),
  // A string body has a declared length: the stream a server wrote whole before answering.
  wholeStream: (id) =>
    new Response(event(LOG) + event({ jsonrpc: "2.0", id, result: { done: true } }), { headers: EVENT_STREAM }),
  // The answer's event split across chunks, mid-line.
  streamedStream: (id) => {
    const answer = event({ jsonrpc: "2.0", id, result: { done: true } });
    return new Response(streamed(event(LOG), answer.slice(0, 20), answer.slice(20)), { headers: EVENT_STREAM });
  },
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

const send = (method: string, onnotification?: (notification: { method: string; params?: unknown }) => void) =>
  exchange(
    { id: 1, method },
    {
      fetch,
      url: new URL(`http://127.0.0.1:${server.port}/mcp`),
      headers: { "Content-Type": "application/json" },
      timeoutMs: 5000,
      onnotification,
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
    ["wholeStream", "an event stream of declared length"],
    ["streamedStream", "an event stream sent in chunks"],
  ])("takes the answer out of %s, after passing on the notification before it", async (method) => {
    const notifications: unknown[] = [];
    const answer = await send(method, (notification) => notifications.push(notification));
    expect(answer.result).toEqual({ done: true });
    expect(notifications).toEqual([{ method: LOG.method, params: LOG.params }]);
  });

  test.each([
    ["unauthorized", "the service answered HTTP 401: Unauthorized: invalid bearer token"],
    ["redirect", "the service answered HTTP 307 (redirects are not followed)"],
    ["streamEndsEarly", "the service closed the connection before answering"],
    ["streamedEndsEarly", "the service closed the connection before answering"],
    ["text", 'the service answered HTTP 200 with content type "text/plain" instead of an MCP answer'],
  ])("%s is a transport failure: %s", async (method, reason) => {
    const error = await send(method).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect((error as Error).message).toBe(reason);
  });
});
