/**
 * A change the version store never announced still reaches every replica: each compares its catalog
 * with the database's change count every CATALOG_RECONCILE_INTERVAL_MS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { isRedisServerInstalled, type RedisTestServer, startRedisServer } from "../../test/support/redis-server.ts";
import { createTestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
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
  let backend: FixtureBackend;

  beforeAll(async () => {
    redis = await startRedisServer();
    backend = startFixtureBackend(() => {
      const server = new McpServer({ name: "late", version: "1.0.0" });
      server.registerTool("late_tool", { description: "Registered while Redis was down" }, () => ({
        content: [{ type: "text", text: "here" }],
      }));
      return server;
    });
  });
  afterAll(async () => {
    await backend.stop();
    await redis.stop();
  });

  test("a write made while Redis was down, by a replica that then died, reaches the other replica once Redis is back empty", async () => {
    const database = await createTestDatabase({ kind });
    const keyPrefix = `test:${crypto.randomUUID()}:`;
    const stores = [0, 1].map(() => createVersionStore({ redisUrl: redis.url, keyPrefix }));
    const [writer, survivor] = (await Promise.all(
      stores.map((versionStore) => startGateway({ database, versionStore, settings: SETTINGS })),
    )) as [RunningGateway, RunningGateway];
    try {
      await redis.stop();
      expect((await writer.admin("POST", "/register", { name: "late", url: backend.url })).status).toBe(201);
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
      await database.close();
    }
  });
});
