/**
 * A change the version store never announced still reaches every replica: each compares its catalog
 * with the database's change count every CATALOG_RECONCILE_INTERVAL_MS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { isRedisServerInstalled, type RedisTestServer, startRedisServer } from "../../test/support/redis-server.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import { createVersionStore } from "./version-store.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** Polls `check` until it holds; fails the test after `attempts` tries instead of hanging. */
async function eventually(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`never happened: ${what}`);
}

const SETTINGS = { catalogPollIntervalMs: 100, catalogReconcileIntervalMs: 200 };

describe.skipIf(!isRedisServerInstalled()).each(testDatabaseKinds())("catalog reconciliation on %s", (kind) => {
  let redis: RedisTestServer;
  let database: TestDatabase;

  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedisServer(), createTestDatabase({ kind })]);
  });
  afterAll(async () => {
    await redis.stop();
    await database.close();
  });

  test("a write made while Redis was down, by a replica that then died, reaches the other replica once Redis is back empty", async () => {
    const backend = startFixtureBackend(() => {
      const server = new McpServer({ name: "late", version: "1.0.0" });
      server.registerTool("late_tool", { description: "Registered while Redis was down" }, () => ({
        content: [{ type: "text", text: "here" }],
      }));
      return server;
    });
    const keyPrefix = `test:${crypto.randomUUID()}:`;
    const stores = await Promise.all([0, 1].map(() => createVersionStore({ redisUrl: redis.url, keyPrefix })));
    const [writer, survivor] = (await Promise.all(
      stores.map((versionStore) => startGateway({ database, versionStore, settings: SETTINGS })),
    )) as [RunningGateway, RunningGateway];
    try {
      await redis.stop();
      const registered = await writer.admin("POST", "/register", { name: "late", url: backend.url });
      expect(`${registered.status} ${await registered.text()}`).toStartWith("201 ");
      await writer.stop();
      await redis.restart();

      await eventually(
        async () => survivor.gateway.catalog.snapshot().routes.has("late_tool"),
        "the surviving replica serves the service registered while Redis was down",
      );
      const client = await survivor.client();
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["late_tool"]);
    } finally {
      await survivor.stop();
      await Promise.all(stores.map((s) => s.close()));
      await backend.stop();
    }
  });
});
