/**
 * What one backend, or one client, must not be able to do to everyone else: a backend that never
 * answers must not stall calls and health checks of the others (Bun's fetch holds a process-wide
 * number of sockets, 256 by default), a client's absurdly nested arguments must not open a healthy
 * backend's circuit, progress must not keep a call open forever, and a huge result must not be read whole.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { eventually } from "../../test/support/eventually.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

// These tests start servers and a database: a ceiling for hangs on a busy machine, not a speed check.

/** More than Bun's fetch holds sockets for (256 by default), as in the incident. */
const HUNG_CALLS = 300;
const SLOTS = 8;
const WAITING = 8;
const MAX_DURATION_MS = 2_000;
const PROGRESS_EVERY_MS = 50;
/** Progress for three times the maximum duration, then an answer. */
const PROGRESS_STEPS = (3 * MAX_DURATION_MS) / PROGRESS_EVERY_MS;
const MAX_ANSWER_BYTES = 1024 * 1024;
const HUGE_TEXT = "x".repeat(3 * MAX_ANSWER_BYTES);
/** Deeper than any encoder or recursive walk survives. */
const DEEP = 100_000;

let database: TestDatabase;
let versions: VersionStore;
let gw: RunningGateway;
let raw: ReturnType<typeof startRawBackend>;
const fixtures: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  versions = await createTestVersionStore();
  gw = await startGateway({
    database,
    versionStore: versions,
    settings: {
      callLimits: {
        maxConcurrentCalls: SLOTS,
        maxWaitingCalls: WAITING,
        maxGatewayCalls: 192,
        maxCallDurationMs: MAX_DURATION_MS,
        maxAnswerBytes: MAX_ANSWER_BYTES,
      },
    },
  });
  const healthy = startFixtureBackend(healthyServer);
  raw = startRawBackend();
  fixtures.push(healthy, raw);
  await register("healthy-service", healthy.url);
  await register("raw-service", raw.url);
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all(fixtures.map((f) => f.stop()));
  await versions?.close();
  await database?.close();
});

async function register(name: string, url: string): Promise<void> {
  const response = await gw.admin("POST", "/register", { name, url });
  expect(response.status).toBe(201);
}

/** A real MCP service (answering in event streams) with a quick tool, a chatty one and a huge one. */
function healthyServer(): McpServer {
  const server = new McpServer({ name: "healthy-fixture", version: "1.0.0" });
  server.registerTool("echo", { description: "Answers at once." }, async () => ({
    content: [{ type: "text", text: "echo" }],
  }));
  server.registerTool("chatty", { description: "Reports progress for a long time, then answers." }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    for (let step = 1; step <= PROGRESS_STEPS && !extra.signal.aborted; step++) {
      await Bun.sleep(PROGRESS_EVERY_MS);
      if (progressToken !== undefined)
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress: step } });
    }
    return { content: [{ type: "text", text: "finished" }] };
  });
  server.registerTool("hugeStreamed", { description: "Answers with far too much text." }, async () => ({
    content: [{ type: "text", text: HUGE_TEXT }],
  }));
  return server;
}

/**
 * Speaks just enough MCP, in plain JSON answers, to be registered; its `hang` never answers, its
 * `hugeJson` answers with far too much, and its `linger` answers in an event stream it never ends
 * (and keeps busy).
 */
function startRawBackend() {
  const lingering = { answered: 0, closed: 0 };
  const answer = (id: unknown, result: object) => Response.json({ jsonrpc: "2.0", id, result });
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      if (request.method !== "POST") return new Response(null, { status: 405 });
      const message = (await request.json()) as {
        id?: unknown;
        method: string;
        params?: { protocolVersion?: string; name?: string };
      };
      if (message.id === undefined) return new Response(null, { status: 202 });
      if (message.method === "initialize")
        return answer(message.id, {
          protocolVersion: message.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "raw-fixture", version: "1.0.0" },
        });
      if (message.method === "tools/list")
        return answer(message.id, {
          tools: [
            { name: "hang", inputSchema: { type: "object" } },
            { name: "hugeJson", inputSchema: { type: "object" } },
            { name: "hugeChunked", inputSchema: { type: "object" } },
            { name: "linger", inputSchema: { type: "object" } },
          ],
        });
      if (message.params?.name === "hugeJson")
        return answer(message.id, { content: [{ type: "text", text: HUGE_TEXT }] });
      if (message.params?.name === "hugeChunked") {
        // Without a declared length: the gateway learns the size only by reading.
        const body = JSON.stringify({
          jsonrpc: "2.0",
          id: message.id,
          result: { content: [{ type: "text", text: HUGE_TEXT }] },
        });
        const bytes = new TextEncoder().encode(body);
        let sent = 0;
        const stream = new ReadableStream({
          pull(controller) {
            if (sent >= bytes.byteLength) return controller.close();
            controller.enqueue(bytes.subarray(sent, sent + 64 * 1024));
            sent += 64 * 1024;
          },
        });
        return new Response(stream, { headers: { "Content-Type": "application/json" } });
      }
      if (message.params?.name === "linger") {
        request.signal.addEventListener("abort", () => lingering.closed++);
        const result = { jsonrpc: "2.0", id: message.id, result: { content: [{ type: "text", text: "here" }] } };
        const encoder = new TextEncoder();
        let keepAlive: ReturnType<typeof setInterval> | undefined;
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(result)}\n\n`));
            lingering.answered++;
            // Never quiet, so no idle timeout ends it either.
            keepAlive = setInterval(() => controller.enqueue(encoder.encode(": still here\n\n")), 100);
          },
          cancel: () => clearInterval(keepAlive),
        });
        request.signal.addEventListener("abort", () => clearInterval(keepAlive));
        return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
      }
      return new Promise<Response>(() => {});
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, lingering, stop: () => server.stop(true) };
}

/** A tools/call whose arguments nest `depth` levels deep, written out by hand: JSON.stringify cannot. */
function deepCall(id: number, depth: number, meta?: object): string {
  const args = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
  const extra = meta ? `,"_meta":${JSON.stringify(meta)}` : "";
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":${args}${extra}}}`;
}

async function postMcp(body: string, accept: string): Promise<unknown> {
  const response = await fetch(`${gw.url}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_BEARER}`, "Content-Type": "application/json", Accept: accept },
    body,
  });
  const text = await response.text();
  // An event-stream answer carries the message in its data line.
  return JSON.parse(text.startsWith("{") ? text : (text.match(/^data: (.*)$/m)?.[1] ?? "null"));
}

describe("a backend that never answers", () => {
  test("ties up only its own slots: calls beyond them are refused at once, and other backends' calls and health checks go on", async () => {
    const pool = gw.gateway.pool;
    const stopFlood = new AbortController();
    const flood = Array.from({ length: HUNG_CALLS }, () =>
      pool.request("raw-service", "tools/call", { name: "hang", arguments: {} }, { signal: stopFlood.signal }).then(
        () => "answered",
        (error: Error) => error.message,
      ),
    );
    try {
      // Refusals need no network: they are all in once the calls' first steps have run.
      await Bun.sleep(0);
      expect(pool.state("raw-service")?.calls).toEqual({
        inFlight: SLOTS,
        waiting: WAITING,
        refused: HUNG_CALLS - SLOTS - WAITING,
      });

      const client = await gw.client();
      const refused = await client.callTool({ name: "hang", arguments: {} });
      expect(refused.isError).toBe(true);
      expect(firstText(refused)).toContain('Service "raw-service" is busy');
      expect(firstText(refused)).toContain(`all ${SLOTS} of its call slots are taken`);

      // While every slot of the hung backend is still taken, the healthy one passes its checks and answers calls.
      await pool.check("healthy-service", 1_000);
      expect(pool.state("healthy-service")).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
      const healthy = await client.callTool({ name: "echo", arguments: {} });
      expect(healthy.isError).toBeFalsy();
      expect(firstText(healthy)).toBe("echo");
      expect(pool.state("raw-service")?.calls.inFlight).toBe(SLOTS);
      // Being refused for want of a slot says nothing against the backend.
      expect(pool.state("raw-service")).toMatchObject({ circuit: "closed", consecutiveFailures: 0 });

      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toContain(
        `mcp_gateway_backend_calls_refused_total{service="raw-service"} ${HUNG_CALLS - SLOTS - WAITING + 1}`,
      );
      expect(metrics).toContain(`mcp_gateway_backend_calls_in_flight{service="raw-service"} ${SLOTS}`);
      expect(metrics).toContain('mcp_gateway_tool_calls_total{service="raw-service",tool="hang",outcome="busy"} 1');
    } finally {
      stopFlood.abort();
      await Promise.all(flood);
    }
    expect(pool.state("raw-service")?.calls).toMatchObject({ inFlight: 0, waiting: 0 });
  });
});

describe("tool arguments nested absurdly deep", () => {
  test("are the client's invalid params on both paths, and never open the backend's circuit", async () => {
    const pool = gw.gateway.pool;
    // More than the circuit's failure threshold (3 in tests), alternating the fast path and the SDK path.
    for (let id = 1; id <= 8; id++) {
      const answer =
        id % 2 === 0
          ? await postMcp(deepCall(id, DEEP), "application/json, text/event-stream")
          : // A progress token sends the call through the SDK's server instead of the fast path.
            await postMcp(deepCall(id, DEEP, { progressToken: id }), "application/json, text/event-stream");
      expect(answer).toMatchObject({ id, error: { code: -32602 } });
      expect((answer as { error: { message: string } }).error.message).toContain("nest deeper than");
    }
    expect(pool.state("healthy-service")).toMatchObject({ circuit: "closed", consecutiveFailures: 0 });

    // Arguments nested a sane depth still go through.
    expect(await postMcp(deepCall(9, 20), "application/json, text/event-stream")).toMatchObject({
      id: 9,
      result: { content: [{ type: "text", text: "echo" }] },
    });
  });
});

describe("a backend that reports progress forever", () => {
  test("keeps the call open only up to the maximum duration", async () => {
    const client = await gw.client();
    let progressed = 0;
    const result = await client.callTool({ name: "chatty", arguments: {} }, undefined, {
      onprogress: () => progressed++,
      resetTimeoutOnProgress: true,
      timeout: 60_000,
    });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain('Service "healthy-service" is unavailable');
    expect(firstText(result)).toContain(`${MAX_DURATION_MS} ms a call may take at most (TOOL_CALL_MAX_DURATION_MS)`);
    // The progress did reach the client until then, and the call ended well before the backend would have answered.
    expect(progressed).toBeGreaterThan(0);
    expect(progressed).toBeLessThan(PROGRESS_STEPS);
  });
});

describe("a result larger than the gateway reads", () => {
  test.each([
    ["a JSON answer", "hugeJson", "raw-service"],
    ["a JSON answer of undeclared length", "hugeChunked", "raw-service"],
    ["an event stream", "hugeStreamed", "healthy-service"],
  ])(
    "in %s is cut off with a tool error naming the service and the limit, without blaming the backend",
    async (_, tool, service) => {
      const client = await gw.client();
      const result = await client.callTool({ name: tool, arguments: {} });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain(`Service "${service}" answered with more than 1 MiB`);
      expect(firstText(result)).toContain("TOOL_RESULT_MAX_BYTES");
      expect(gw.gateway.pool.state(service)).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
    },
  );
});

describe("a backend that answers and keeps its stream open", () => {
  test("has the stream closed soon after the answer, so no socket stays held beyond the call's slot", async () => {
    const client = await gw.client();
    const result = await client.callTool({ name: "linger", arguments: {} });
    expect(firstText(result)).toBe("here");
    expect(raw.lingering.answered).toBe(1);
    await eventually(() => raw.lingering.closed === 1);
  });
});
