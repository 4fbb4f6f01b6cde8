/**
 * Two replicas told of the same list changes pull a service's lists as one replica would: a pull starts
 * only with the service's claim, held for one LIST_REFETCH_INTERVAL_MS, so the replicas together pull at
 * most once per interval. A replica that loses the claim still sees its announcement pulled, by itself
 * once the claim is free or by the replica that claimed after the announcement, and the pull's registry
 * write brings every replica the change. The backend counts the gateway's tools/list requests (one per
 * pull) and can hold them back while a burst arrives.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { captureLog } from "../../test/support/captured-log.ts";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import type { RunningGateway } from "../../test/support/gateway-harness.ts";
import { registerGrowingTools } from "../../test/support/growing-tools.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** Long beside a burst and the pull it starts, so that a claim taken for one is still held during it. */
const INTERVAL_MS = 1_500;
const BURST = 30;

/** A backend of its own for each test, which announces list changes and grows tools when asked. */
interface FloodingBackend {
  fixture: FixtureBackend;
  /** The gateway's tools/list requests (one per pull), which the backend can hold back. */
  toolLists: { count: number; holding: boolean; held: (() => void)[] };
  release(): void;
}

function startFloodingBackend(): FloodingBackend {
  const grown: string[] = [];
  const toolLists = { count: 0, holding: false, held: [] as (() => void)[] };
  const server = () => {
    const mcp = new McpServer({ name: "flooding", version: "1.0.0" });
    mcp.registerTool("flood", { description: "Announces that its tools changed, many times." }, async (extra) => {
      for (let i = 0; i < BURST; i++) await extra.sendNotification({ method: "notifications/tools/list_changed" });
      return { content: [{ type: "text", text: "flooded" }] };
    });
    registerGrowingTools(mcp, grown);
    return mcp;
  };
  const intercept = async (request: Request): Promise<undefined> => {
    if (request.method !== "POST") return;
    const message = (await request.clone().json()) as { method?: string };
    if (message.method !== "tools/list") return;
    toolLists.count++;
    if (toolLists.holding) await new Promise<void>((release) => toolLists.held.push(release));
  };
  return {
    fixture: startFixtureBackend(server, { intercept }),
    toolLists,
    release() {
      toolLists.holding = false;
      for (const release of toolLists.held.splice(0)) release();
    },
  };
}

const logs = { a: captureLog(), b: captureLog() };
let pair: ReplicaPair;
let clients: { a: Client; b: Client };

beforeAll(async () => {
  // A held tools/list must not time the pull out.
  pair = await startReplicaPair({
    settings: { listRefetchIntervalMs: INTERVAL_MS, backendConnectTimeoutMs: 60_000 },
    logs: { a: logs.a.log, b: logs.b.log },
  });
  clients = { a: await pair.a.client(), b: await pair.b.client() };
});
afterAll(async () => {
  await pair?.stop();
});

/** Registers the backend through replica A and waits until both replicas list its tools. */
async function registered(name: string): Promise<FloodingBackend> {
  const backend = startFloodingBackend();
  expect((await pair.a.admin("POST", "/register", { name, url: backend.fixture.url })).status).toBe(201);
  await eventually(() => [pair.a, pair.b].every((gw) => routed(gw, "flood")));
  return backend;
}

async function removed(name: string, backend: FloodingBackend): Promise<void> {
  backend.release();
  await pair.a.admin("DELETE", `/delete/${name}`);
  await eventually(() => [pair.a, pair.b].every((gw) => !routed(gw, "flood")));
  await backend.fixture.stop();
}

function routed(gw: RunningGateway, tool: string): boolean {
  return gw.gateway.catalog.snapshot().routes.has(tool);
}

async function call(client: Client, tool: string): Promise<void> {
  expect((await client.callTool({ name: tool, arguments: {} })).isError).toBeFalsy();
}

/** Whether the replica logged `message` for the service. */
function logged(lines: string[], service: string, message: string): boolean {
  return lines.some((line) => {
    const entry = JSON.parse(line) as { msg: string; service?: string };
    return entry.service === service && entry.msg === message;
  });
}

test("a change announced to one replica while the other holds the claim is pulled once the claim is free", async () => {
  const backend = await registered("flooding-a");
  try {
    const listed = backend.toolLists.count;
    // A pulls, and holds the claim for the interval after.
    await call(clients.a, "grow");
    await eventually(() => [pair.a, pair.b].every((gw) => routed(gw, "grown1")));

    // A's pull read the lists before this change, so B must pull it itself, however it lost the claim.
    await call(clients.b, "grow");
    await eventually(() => [pair.a, pair.b].every((gw) => routed(gw, "grown2")));
    expect(backend.toolLists.count).toBe(listed + 2);
  } finally {
    await removed("flooding-a", backend);
  }
});

test("a burst announced to both replicas costs them the two pulls it costs one, and its last change reaches both", async () => {
  const service = "flooding-b";
  const backend = await registered(service);
  try {
    const listed = backend.toolLists.count;
    backend.toolLists.holding = true;
    await call(clients.a, "flood");
    await eventually(() => backend.toolLists.count > listed);
    // Both are told a burst while A's pull, which holds the claim, is held: A's second is pulled after.
    await call(clients.a, "flood");
    await call(clients.b, "flood");
    expect(backend.toolLists.count).toBe(listed + 1);
    backend.release();

    // A change after A's pull read the lists, announced to B only.
    await eventually(() =>
      logged(logs.a.lines, service, "backend announced a list change; pulled it again, unchanged"),
    );
    await call(clients.b, "grow");
    await eventually(() => [pair.a, pair.b].every((gw) => routed(gw, "grown1")));
    // B pulled it, after its claim; A, whose last announcement came before that claim, leaves its own to B.
    const leftToB = () => logged(logs.a.lines, service, "another replica pulls the lists after this announcement");
    await eventually(() => leftToB() || backend.toolLists.count > listed + 2);
    expect(backend.toolLists.count).toBe(listed + 2);
  } finally {
    await removed(service, backend);
  }
});
