/**
 * Reading a backend's standalone event stream, against a plain HTTP server playing the backend: the
 * messages it sends in whatever chunks, what it refuses, and the bound on one event.
 */
import { afterAll, expect, test } from "bun:test";
import { openBackendEventStream } from "./backend-event-stream.ts";

const encoder = new TextEncoder();
let body: (request: Request) => Response = () => new Response(null, { status: 405 });
const backend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => body(request) });
afterAll(() => backend.stop(true));

function eventStream(chunks: string[]): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
}

function open(maxEventBytes = 1024) {
  const messages: Record<string, unknown>[] = [];
  const stream = openBackendEventStream({
    fetch,
    url: `http://127.0.0.1:${backend.port}/mcp`,
    headers: { "Mcp-Session-Id": "s1" },
    maxEventBytes,
    onmessage: (message) => messages.push(message),
  });
  return { stream, messages };
}

test("messages arrive whatever the chunks, data that is no JSON message is skipped, and the end is told", async () => {
  let seen: Headers | undefined;
  body = (request) => {
    seen = request.headers;
    return eventStream([
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/resources/up',
      'dated","params":{"uri":"note://a"}}\n\n',
      "data: not json\n\n",
      "data: [1, 2]\n\n",
      ': a comment\n\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n',
    ]);
  };
  const { stream, messages } = open();
  await stream.opened;
  expect(await stream.ended).toBe("the service ended its event stream");
  expect(messages.map((m) => m.method)).toEqual([
    "notifications/resources/updated",
    "notifications/tools/list_changed",
  ]);
  expect(seen?.get("mcp-session-id")).toBe("s1");
  expect(seen?.get("accept")).toBe("text/event-stream");
});

test("a backend that refuses the stream ends it at once, saying how", async () => {
  body = () => new Response("no", { status: 405 });
  expect(await open().stream.ended).toBe("the service refused its event stream (HTTP 405)");
});

test("an event larger than the bound ends the stream", async () => {
  body = () => eventStream([`data: ${"x".repeat(2048)}\n\n`]);
  expect(await open(1024).stream.ended).toBe("the service sent an event larger than 1024 bytes");
});

test("closing the stream ends it without a reason", async () => {
  // A comment first: Bun sends no headers before the body's first bytes.
  const quiet = () =>
    new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(encoder.encode(": open\n\n")) });
  body = () => new Response(quiet(), { headers: { "Content-Type": "text/event-stream" } });
  const { stream } = open();
  await stream.opened;
  stream.close();
  expect(await stream.ended).toBeUndefined();
});

test("a backend that cannot be reached ends the stream saying so", async () => {
  const gone = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const url = `http://127.0.0.1:${gone.port}/mcp`;
  await gone.stop(true);
  const stream = openBackendEventStream({ fetch, url, headers: {}, maxEventBytes: 1024, onmessage: () => {} });
  expect(await stream.ended).toBe("connection refused");
});
