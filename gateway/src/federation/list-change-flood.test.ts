/**
 * A backend that floods the gateway with list_changed hurts only itself: a burst of announcements costs
 * it two pulls of its lists, and pulls that find the lists as stored write nothing and leave the registry
 * version alone, so no replica reloads its catalog. A real change, in or after a flood, is still pulled.
 * The backend holds the gateway's tools/list while a burst arrives, so every count below is exact.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { registerGrowingTools } from "../../test/support/growing-tools.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import { createLogger } from "../logger.ts";
import { readChangeCount } from "../registry/queries.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const BURST = 30;
const LIST_CHANGES = [
  "notifications/tools/list_changed",
  "notifications/resources/list_changed",
  "notifications/prompts/list_changed",
] as const;

/** Tool names the fixture has grown; every per-request server of the stateless fixture reads them. */
const grown: string[] = [];

function floodingServer(): McpServer {
  const server = new McpServer({ name: "flooding", version: "1.0.0" });
  server.registerTool("flood", { description: "Announces list changes, and adds a tool if asked." }, async (extra) => {
    for (let i = 0; i < BURST; i++) await extra.sendNotification({ method: LIST_CHANGES[i % LIST_CHANGES.length]! });
    return { content: [{ type: "text", text: "flooded" }] };
  });
  registerGrowingTools(server, grown);
  // Lists of every kind, so that the comparison with what is stored covers them all.
  server.registerResource("readme", "file:///readme", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, text: "read me" }],
  }));
  server.registerPrompt("greet", { description: "Greets." }, () => ({ messages: [] }));
  return server;
}

/** The gateway's tools/list requests to the backend (one per pull), which it can hold back. */
const toolLists = { count: 0, holding: false, held: [] as (() => void)[] };

function holdToolLists(request: Request): Promise<undefined> | undefined {
  if (request.method !== "POST") return undefined;
  return request
    .clone()
    .json()
    .then(async (message: { method?: string }) => {
      if (message.method !== "tools/list") return undefined;
      toolLists.count++;
      if (toolLists.holding) await new Promise<void>((release) => toolLists.held.push(release));
      return undefined;
    });
}

function releaseToolLists() {
  toolLists.holding = false;
  for (const release of toolLists.held.splice(0)) release();
}

const logLines: string[] = [];
/** How many pulls the gateway has finished for the flooding service, and how many found nothing new. */
function finishedPulls(): { all: number; unchanged: number } {
  const pulls = logLines
    .map((line) => JSON.parse(line) as { msg: string; service?: string })
    .filter((entry) => entry.service === "flooding" && entry.msg.startsWith("backend announced a list change;"));
  return { all: pulls.length, unchanged: pulls.filter((entry) => entry.msg.endsWith("unchanged")).length };
}

let database: TestDatabase;
const versions = await createTestVersionStore();
let backend: FixtureBackend;
let gw: RunningGateway;
let client: Client;

// One hook each, so that a slow start of one on a busy machine does not eat into the others' time.
beforeAll(async () => {
  database = await createTestDatabase();
});
beforeAll(async () => {
  backend = startFixtureBackend(floodingServer, { intercept: holdToolLists });
  gw = await startGateway({
    database,
    versionStore: versions,
    // A held tools/list must not time the pull out.
    settings: { listRefetchIntervalMs: 50, backendConnectTimeoutMs: 60_000 },
    log: createLogger({ level: "info", json: true, write: (line) => logLines.push(line) }),
  });
});
beforeAll(async () => {
  expect((await gw.admin("POST", "/register", { name: "flooding", url: backend.url })).status).toBe(201);
  client = await gw.client();
});
afterAll(async () => {
  await gw?.stop();
  await backend?.stop();
  await versions.close();
  await database?.close();
});

/** What shows whether anything was written and announced: the database's change count and the version. */
async function registryState() {
  return {
    changes: await readChangeCount(database.db),
    version: await versions.current(),
    catalog: gw.gateway.catalog.snapshot().version,
  };
}

/** Calls `tool` while the backend holds the pull its first announcement starts, then lets the pulls run. */
async function announceWhileHeld(tool: string) {
  const listed = toolLists.count;
  toolLists.holding = true;
  const result = await client.callTool({ name: tool, arguments: {} });
  expect(result.isError).toBeFalsy();
  // Every announcement reached the gateway before the call's answer; the first one's pull is held.
  await eventually(() => toolLists.count > listed);
  releaseToolLists();
}

test("a burst of list changes costs two pulls, which find nothing new and leave the registry version alone", async () => {
  const before = await registryState();
  const listed = toolLists.count;
  const pulls = finishedPulls();

  await announceWhileHeld("flood");
  await eventually(() => finishedPulls().all >= pulls.all + 2);

  expect(toolLists.count).toBe(listed + 2);
  expect(finishedPulls().unchanged).toBe(pulls.unchanged + 2);
  expect(await registryState()).toEqual(before);
});

test("a change a backend makes at the end of a burst is stored once, and every replica is told", async () => {
  const before = await registryState();
  const listed = toolLists.count;
  const pulls = finishedPulls();

  toolLists.holding = true;
  const flood = client.callTool({ name: "flood", arguments: {} });
  await eventually(() => toolLists.count > listed);
  // The change comes while the first pull is held, so that pull or the one after it must find it.
  expect((await client.callTool({ name: "grow", arguments: {} })).isError).toBeFalsy();
  expect((await flood).isError).toBeFalsy();
  releaseToolLists();
  await eventually(() => finishedPulls().all >= pulls.all + 2);

  expect(toolLists.count).toBe(listed + 2);
  expect(gw.gateway.catalog.snapshot().routes.has("grown1")).toBe(true);
  const after = await registryState();
  expect(after.changes).toBe(before.changes + 1);
  expect(after.version).toBeGreaterThan(before.version);
  expect((await client.listTools()).tools.map((t) => t.name)).toContain("grown1");
});

test("a change announced just after a flood's pulls is pulled too", async () => {
  await announceWhileHeld("flood");
  const before = await registryState();

  expect((await client.callTool({ name: "grow", arguments: {} })).isError).toBeFalsy();
  await eventually(() => gw.gateway.catalog.snapshot().routes.has("grown2"));

  expect((await registryState()).changes).toBe(before.changes + 1);
  const called = await client.callTool({ name: "grown2", arguments: {} });
  expect(called.content).toEqual([{ type: "text", text: "grown2" }]);
});

test("an admin's update of an unchanged service still stores it and tells every replica", async () => {
  const before = await registryState();

  expect((await gw.admin("PUT", "/update/flooding", {})).status).toBe(200);

  const after = await registryState();
  expect(after.changes).toBe(before.changes + 1);
  expect(after.version).toBeGreaterThan(before.version);
});
