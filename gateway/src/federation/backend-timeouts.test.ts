/**
 * Timeouts through the whole gateway: a backend that accepts a call and never answers, one that streams
 * progress for longer than the call timeout, and one that dies in the middle of a call.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import { eventually } from "../../test/support/eventually.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const CALL_TIMEOUT_MS = 400;
const PROGRESS_STEPS = 20;
const PROGRESS_EVERY_MS = 50;

let database: TestDatabase;
let versions: VersionStore;
let user: BackendProcess;
let gw: RunningGateway;
const fixtures: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  [database, user] = await Promise.all([createTestDatabase(), startBackend("user")]);
  versions = await createTestVersionStore();
  gw = await startGateway({ database, versionStore: versions, settings: { toolCallTimeoutMs: CALL_TIMEOUT_MS } });
  expect((await gw.admin("POST", "/register", { name: "user-service", url: user.url })).status).toBe(201);
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all(fixtures.map((f) => f.stop()));
  await user?.stop();
  await versions?.close();
  await database?.close();
});

/** A JSON-RPC answer to a request of the hung fixture. */
function answer(id: unknown, result: object): Response {
  return Response.json({ jsonrpc: "2.0", id, result });
}

/**
 * Speaks just enough MCP to be registered (initialize, tools/list) and then takes every tools/call
 * without ever answering it. Counts calls whose connection the gateway closed again.
 */
function startHungBackend() {
  const seen = { calls: 0, callsClosed: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      if (request.method !== "POST") return new Response(null, { status: 405 });
      const message = (await request.json()) as { id?: unknown; method: string; params?: { protocolVersion?: string } };
      if (message.id === undefined) return new Response(null, { status: 202 });
      if (message.method === "initialize") {
        return answer(message.id, {
          protocolVersion: message.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "hung-fixture", version: "1.0.0" },
        });
      }
      if (message.method === "tools/list") {
        return answer(message.id, { tools: [{ name: "hang", inputSchema: { type: "object" } }] });
      }
      // Registration's server/discover hangs too (the gateway then falls back to initialize); only calls count.
      if (message.method === "tools/call") {
        seen.calls++;
        request.signal.addEventListener("abort", () => seen.callsClosed++);
      }
      return new Promise<Response>(() => {});
    },
  });
  fixtures.push({ stop: () => server.stop(true) });
  return { url: `http://127.0.0.1:${server.port}`, seen };
}

/** A real MCP service whose tool reports progress for a while and then answers. */
function startProgressBackend() {
  const backend = startFixtureBackend(() => {
    const server = new McpServer({ name: "progress-fixture", version: "1.0.0" });
    server.registerTool(
      "longWithProgress",
      { description: "Reports progress for a while, then answers." },
      async (extra) => {
        const token = extra._meta?.progressToken;
        for (let step = 1; step <= PROGRESS_STEPS; step++) {
          await Bun.sleep(PROGRESS_EVERY_MS);
          if (token !== undefined) {
            await extra.sendNotification({
              method: "notifications/progress",
              params: { progressToken: token, progress: step, total: PROGRESS_STEPS },
            });
          }
        }
        return { content: [{ type: "text", text: "finished" }] };
      },
    );
    return server;
  });
  fixtures.push(backend);
  return backend;
}

/** A real MCP service whose tool reports progress once and then waits to be killed. */
function startDyingBackend() {
  const backend = startFixtureBackend(() => {
    const server = new McpServer({ name: "dying-fixture", version: "1.0.0" });
    server.registerTool("dieMidCall", { description: "Reports progress once, then never answers." }, async (extra) => {
      const token = extra._meta?.progressToken;
      if (token !== undefined)
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: 1 },
        });
      return new Promise<never>(() => {});
    });
    return server;
  });
  fixtures.push(backend);
  return backend;
}

describe("a backend that accepts calls and never answers", () => {
  test("costs its caller the call timeout, named in the result, and other callers nothing", async () => {
    const hung = startHungBackend();
    expect((await gw.admin("POST", "/register", { name: "hung-service", url: hung.url })).status).toBe(201);
    const client = await gw.client();

    const hungCall = client.callTool({ name: "hang", arguments: {} });
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, _i) => client.callTool({ name: "getUserById", arguments: { id: "456" } })),
    );
    for (const result of others) expect(result.isError).toBeFalsy();

    const result = await hungCall;
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain("hung-service");
    expect(firstText(result)).toContain(`timed out: no answer within ${CALL_TIMEOUT_MS} ms`);
    expect(hung.seen.calls).toBe(1);
    // The gateway lets go of the abandoned request rather than holding the socket open.
    await eventually(() => hung.seen.callsClosed === 1);

    const state = gw.gateway.pool.state("hung-service");
    expect(state?.status).toBe("down");
    expect(state?.consecutiveFailures).toBe(1);
    expect(state?.lastError).toContain("timed out");
  });
});

describe("a backend that reports progress", () => {
  test("keeps a call alive past the call timeout, and the client receives the progress", async () => {
    const backend = startProgressBackend();
    expect((await gw.admin("POST", "/register", { name: "progress-service", url: backend.url })).status).toBe(201);
    const client = await gw.client();
    const progress: number[] = [];
    // How far the call had got once twice the timeout had passed: not finished, so only progress kept it alive.
    const stepsAtTwiceTheTimeout = Bun.sleep(2 * CALL_TIMEOUT_MS).then(() => progress.length);

    const result = await client.callTool({ name: "longWithProgress", arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      timeout: CALL_TIMEOUT_MS,
      resetTimeoutOnProgress: true,
    });

    expect(result.isError).toBeFalsy();
    expect(firstText(result)).toBe("finished");
    expect(await stepsAtTwiceTheTimeout).toBeLessThan(PROGRESS_STEPS);
    expect(progress).toEqual(Array.from({ length: PROGRESS_STEPS }, (_, i) => i + 1));
  });
});

describe("a backend that dies in the middle of a call", () => {
  test("fails the call as soon as the connection breaks, not at the timeout", async () => {
    // A timeout long enough that a call left waiting for it would be plain to see.
    const patient = await startGateway({
      database,
      versionStore: await createTestVersionStore(),
      settings: { toolCallTimeoutMs: 25_000 },
    });
    try {
      const backend = startDyingBackend();
      expect((await patient.admin("POST", "/register", { name: "dying-service", url: backend.url })).status).toBe(201);
      const client = await patient.client();

      // Once progress reached the client, the backend's answer stream is open end to end.
      let streaming = () => {};
      const progressed = new Promise<void>((resolve) => (streaming = resolve));
      const call = client.callTool({ name: "dieMidCall", arguments: {} }, undefined, { onprogress: () => streaming() });
      await progressed;
      await backend.stop();
      const result = await call;

      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain("dying-service");
      expect(firstText(result)).toContain("before it answered");
      expect(firstText(result)).not.toContain("timed out");
    } finally {
      await patient.stop();
    }
  });
});
