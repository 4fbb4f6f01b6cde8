/**
 * The reader of a backend session's GET event stream, against an SDK server keeping sessions: it
 * reopens a stream the backend closed, aborts a request the backend cancels, and stops for good when
 * the backend keeps no such stream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { eventually } from "../../test/support/eventually.ts";
import {
  type StatefulFixtureBackend,
  startStatefulFixtureBackend,
} from "../../test/support/stateful-fixture-backend.ts";
import { type BackendEventStreamOptions, openBackendEventStream } from "./backend-event-stream.ts";
import { createBackendSession, type OpenedSession } from "./backend-session.ts";
import type { Notification } from "./json-rpc-exchange.ts";

let backend: StatefulFixtureBackend;
let server: McpServer;

beforeAll(() => {
  backend = startStatefulFixtureBackend(() => {
    server = new McpServer({ name: "stream-fixture", version: "1.0.0" }, { capabilities: { logging: {} } });
    return server;
  });
});
afterAll(async () => {
  await backend?.stop();
});

const RETRY = { firstMs: 10, maxMs: 20 };

/** A session with the backend, initialised, and its event stream read with `handlers`. */
async function openedStream(handlers: Partial<BackendEventStreamOptions>) {
  let opened: OpenedSession | undefined;
  const session = createBackendSession({
    target: { name: "fixture", url: backend.url, headers: {} },
    fetch,
    connectTimeoutMs: 2_000,
    onopened: (o) => {
      opened = o;
      return undefined;
    },
  });
  await session.request("ping", {}, { timeoutMs: 2_000 });
  if (!opened?.sessionId) throw new Error("the fixture keeps sessions");
  const stream = openBackendEventStream({
    fetch,
    url: opened.url,
    headers: opened.headers,
    timeoutMs: 2_000,
    maxEventBytes: 1 << 20,
    retry: RETRY,
    onnotification: () => {},
    onrequest: async () => ({}),
    ...handlers,
  });
  return { session, stream, sessionId: opened.sessionId };
}

const streamsOf = (sessionId: string) => backend.seen.streams.filter((s) => s === sessionId).length;

describe("the event stream of a backend session", () => {
  test("is opened again when the backend closes it, and what the backend sends next arrives", async () => {
    const notifications: Notification[] = [];
    const { session, stream, sessionId } = await openedStream({ onnotification: (n) => void notifications.push(n) });
    try {
      await eventually(() => streamsOf(sessionId) === 1);
      (server.server.transport as WebStandardStreamableHTTPServerTransport).closeStandaloneSSEStream();
      await eventually(() => streamsOf(sessionId) === 2);
      // The reopened GET may not have reached the transport yet: send until one arrives.
      while (notifications.length === 0) {
        await server.server.sendLoggingMessage({ level: "info", data: "after the reopening" });
        await Bun.sleep(10);
      }
      expect(notifications[0]).toMatchObject({
        method: "notifications/message",
        params: { data: "after the reopening" },
      });
    } finally {
      stream.close();
      session.close();
    }
  });

  test("aborts the handling of a request the backend cancels", async () => {
    let asked: AbortSignal | undefined;
    const { session, stream, sessionId } = await openedStream({
      onrequest: (_request, signal) => {
        asked = signal;
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    });
    try {
      await eventually(() => streamsOf(sessionId) === 1);
      const cancel = new AbortController();
      const question = {
        messages: [{ role: "user" as const, content: { type: "text" as const, text: "?" } }],
        maxTokens: 1,
      };
      const request = server.server.createMessage(question, { signal: cancel.signal });
      await eventually(() => asked !== undefined);
      expect(asked?.aborted).toBe(false);
      cancel.abort("no longer needed");
      await expect(request).rejects.toThrow();
      await eventually(() => asked?.aborted === true);
    } finally {
      stream.close();
      session.close();
    }
  });

  test("refuses at once the backend's requests beyond those it lets wait", async () => {
    let waiting = 0;
    const { session, stream, sessionId } = await openedStream({
      maxWaitingRequests: 2,
      onrequest: (_request, signal) => {
        waiting++;
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    });
    try {
      await eventually(() => streamsOf(sessionId) === 1);
      const question = {
        messages: [{ role: "user" as const, content: { type: "text" as const, text: "?" } }],
        maxTokens: 1,
      };
      const pending = [server.server.createMessage(question), server.server.createMessage(question)];
      for (const request of pending) request.catch(() => {});
      await eventually(() => waiting === 2);
      await expect(server.server.createMessage(question)).rejects.toThrow(
        "requests of this service waiting for the client already",
      );
      expect(waiting).toBe(2);
    } finally {
      stream.close();
      session.close();
    }
  });

  test("stops for good when the backend has no event stream", async () => {
    let gets = 0;
    const plain = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => {
        gets++;
        return new Response(null, { status: 405 });
      },
    });
    let stopped: string | undefined;
    const stream = openBackendEventStream({
      fetch,
      url: new URL(`http://127.0.0.1:${plain.port}/mcp`),
      headers: {},
      timeoutMs: 2_000,
      maxEventBytes: 1 << 20,
      retry: RETRY,
      onnotification: () => {},
      onrequest: async () => ({}),
      onstop: (reason) => {
        stopped = reason;
      },
    });
    try {
      await eventually(() => stopped !== undefined);
      expect(stopped).toContain("HTTP 405");
      expect(gets).toBe(1);
    } finally {
      stream.close();
      await plain.stop(true);
    }
  });
});
