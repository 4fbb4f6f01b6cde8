/**
 * Registrations and updates that run at the same time, on real databases: the outcome is one of the
 * orders they could have run in, never a mix, and repeats of the same registration all succeed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** A backend with one tool whose tools/list can be held until the test lets it answer. */
function heldBackend(tool: string) {
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  let arrived: () => void = () => {};
  const backend = startFixtureBackend(() => {
    const server = new McpServer({ name: tool, version: "1.0.0" }, { capabilities: { tools: {} } });
    server.server.setRequestHandler(ListToolsRequestSchema, async () => {
      arrived();
      await held;
      return { tools: [{ name: tool, inputSchema: { type: "object" } }] };
    });
    return server;
  });
  return {
    backend,
    /** Holds the next tools/list answers; resolves `listed` once one of them has arrived. */
    hold() {
      const listed = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      held = new Promise((resolve) => {
        release = resolve;
      });
      return { listed, release: () => release() };
    },
  };
}

describe.each(testDatabaseKinds())("concurrent registrations on %s", (kind) => {
  let database: TestDatabase;
  let gw: RunningGateway;
  const backends: FixtureBackend[] = [];

  // Two hooks, so that each has its own time limit on a busy machine.
  beforeAll(async () => {
    database = await createTestDatabase({ kind });
  });
  beforeAll(async () => {
    gw = await startGateway({ database, versionStore: await createTestVersionStore() });
  });
  afterAll(async () => {
    await gw.stop();
    await Promise.all(backends.map((b) => b.stop()));
    await gw.gateway.versionStore.close();
    await database.close();
  });

  test("a re-registration at the old URL that races a move does not undo the move", async () => {
    const old = heldBackend("old_tool");
    const moved = heldBackend("new_tool");
    backends.push(old.backend, moved.backend);
    expect((await gw.admin("POST", "/register", { name: "mover", url: old.backend.url })).status).toBe(201);

    // The re-registration has read the service at its old URL and is listing the old backend's tools...
    const { listed, release } = old.hold();
    const reRegister = gw.admin("POST", "/register", { name: "mover", url: old.backend.url });
    await listed;
    // ...when the move commits.
    const move = await gw.admin("PUT", "/update/mover", { url: moved.backend.url });
    expect(move.status).toBe(200);
    release();

    const late = await reRegister;
    expect(late.status).toBe(409);
    expect(await late.text()).toContain(`already registered at ${moved.backend.url}`);
    const stored = (await gw.gateway.registry.list()).find((s) => s.name === "mover");
    expect(stored?.url).toBe(moved.backend.url);
    expect(stored?.tools.map((t) => t.name)).toEqual(["new_tool"]);
  });

  test("fifty identical registrations at once: one creates, the others refresh", async () => {
    const same = heldBackend("same_tool");
    backends.push(same.backend);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const response = await gw.admin("POST", "/register", { name: "same", url: same.backend.url });
        const body = (await response.json()) as { created?: boolean };
        return `${response.status} ${body.created}`;
      }),
    );
    expect(statuses.filter((s) => s === "201 true")).toHaveLength(1);
    expect(statuses.filter((s) => s === "200 false")).toHaveLength(49);
    expect((await gw.gateway.registry.list()).filter((s) => s.name === "same")).toHaveLength(1);
  });
});
