/**
 * A call's stream and its end: backend log messages reach the client on the call's response, a client
 * that disconnects aborts the call at the backend, and `notifications/cancelled` aborts it from another
 * replica than the one running it.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { VersionStore } from "../catalog/version-store.ts";
import { connectBalancedClient } from "../test-support/balanced-client.ts";
import { eventually } from "../test-support/eventually.ts";
import { startFixtureBackend, type FixtureBackend } from "../test-support/fixture-backend.ts";
import { createTestSessionBus, createTestVersionStore, firstText, startGateway, TEST_BEARER, type RunningGateway } from "../test-support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../test-support/test-database.ts";
import type { SessionBus } from "./session-bus.ts";

setDefaultTimeout(30_000);

/** Calls of `waitForAbort` by label: started, and aborted at the backend. */
const started = new Set<string>();
const aborted = new Set<string>();

function fixtureServer(): McpServer {
  const server = new McpServer({ name: "streaming-fixture", version: "1.0.0" }, { capabilities: { logging: {} } });
  server.registerTool("chatty", { description: "Logs twice, then answers." }, async (extra) => {
    for (const data of ["looking", "found it"]) await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
    return { content: [{ type: "text", text: "done" }] };
  });
  server.registerTool("waitForAbort", { description: "Answers only when aborted.", inputSchema: { label: z.string() } }, async ({ label }, extra) => {
    started.add(label);
    await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve(), { once: true }));
    aborted.add(label);
    return { content: [{ type: "text", text: "aborted" }] };
  });
  return server;
}

let database: TestDatabase;
let stores: VersionStore[];
let buses: SessionBus[];
let a: RunningGateway;
let b: RunningGateway;
let backend: FixtureBackend;

beforeAll(async () => {
  database = await createTestDatabase();
  const prefix = `test:${crypto.randomUUID()}:`;
  const shared = !process.env.REDIS_URL;
  stores = shared ? [createTestVersionStore(prefix)] : [createTestVersionStore(prefix), createTestVersionStore(prefix)];
  buses = shared ? [createTestSessionBus(prefix)] : [createTestSessionBus(prefix), createTestSessionBus(prefix)];
  a = await startGateway({ database, versionStore: stores[0]!, sessionBus: buses[0] });
  b = await startGateway({ database, versionStore: stores.at(-1)!, sessionBus: buses.at(-1) });
  backend = startFixtureBackend(fixtureServer);
  expect((await a.admin("POST", "/register", { name: "streaming", url: backend.url })).status).toBe(201);
  await eventually(() => b.gateway.catalog.snapshot().routes.has("waitForAbort"));
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), backend?.stop()]);
  await Promise.all([...(stores ?? []), ...(buses ?? [])].map((s) => s.close()));
  await database?.close();
});

describe("a call's stream", () => {
  test.each([
    ["the fast path", {}],
    ["the SDK path (with a progress token)", { onprogress: () => {} }],
  ])("relays the backend's log messages on %s", async (_path, options) => {
    const { client } = await connectBalancedClient({ a: a.url, b: b.url }, "a");
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    try {
      const result = await client.callTool({ name: "chatty" }, undefined, options);
      expect(firstText(result)).toBe("done");
      expect(logs).toEqual(["looking", "found it"]);
    } finally {
      await client.close();
    }
  });

  test("a client that disconnects aborts the call at the backend", async () => {
    const disconnect = new AbortController();
    const call = fetch(`${a.url}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", Authorization: `Bearer ${TEST_BEARER}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "waitForAbort", arguments: { label: "disconnect" } } }),
      signal: disconnect.signal,
    }).catch(() => undefined);
    await eventually(() => started.has("disconnect"));
    disconnect.abort();
    await call;
    await eventually(() => aborted.has("disconnect"));
  });

  test("notifications/cancelled through one replica aborts the call running on the other", async () => {
    const { client, seen } = await connectBalancedClient({ a: a.url, b: b.url }, "a");
    try {
      const cancel = new AbortController();
      const call = client.callTool({ name: "waitForAbort", arguments: { label: "cancelled" } }, undefined, { signal: cancel.signal }).catch((e: Error) => e);
      await eventually(() => started.has("cancelled"));
      cancel.abort("changed my mind");
      expect(await call).toBeInstanceOf(Error);
      await eventually(() => aborted.has("cancelled"));
      const callOn = seen.find((s) => s.rpc === "tools/call")?.replica;
      const cancelOn = seen.find((s) => s.rpc === "notifications/cancelled")?.replica;
      expect(callOn).toBeDefined();
      expect(cancelOn).toBeDefined();
      expect(cancelOn).not.toBe(callOn);
    } finally {
      await client.close();
    }
  });
});
