/**
 * While the version store (Redis) is down, replicas cannot share the claim that spaces their pulls of a
 * service's lists: each is granted every claim and pulls the changes it is told of by itself, rather
 * than leaving them unpulled. The backend counts the gateway's tools/list requests (one per pull).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { captureLog } from "../../test/support/captured-log.ts";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { registerGrowingTools } from "../../test/support/growing-tools.ts";
import { isRedisServerInstalled, type RedisTestServer, startRedisServer } from "../../test/support/redis-server.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import { createRedisVersionStore } from "../catalog/version-store-redis.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** Long beside the test: with the claim shared, a second pull within it would wait for the claim. */
const INTERVAL_MS = 60_000;
const SERVICE = "growing";
const WARNING = "the version store cannot hand out claims; each replica limits itself alone";

describe.skipIf(!isRedisServerInstalled())("list changes while Redis is down", () => {
  const logs = { a: captureLog(), b: captureLog() };
  let redis: RedisTestServer;
  let backend: FixtureBackend;
  let pair: ReplicaPair;
  let toolLists = 0;
  const grown: string[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    backend = startFixtureBackend(
      () => {
        const mcp = new McpServer({ name: SERVICE, version: "1.0.0" });
        registerGrowingTools(mcp, grown);
        return mcp;
      },
      {
        intercept: async (request) => {
          if (request.method !== "POST") return undefined;
          const message = (await request.clone().json()) as { method?: string };
          if (message.method === "tools/list") toolLists++;
          return undefined;
        },
      },
    );
    const keyPrefix = `test:${crypto.randomUUID()}:`;
    const store = () => createRedisVersionStore({ url: redis.url, keyPrefix, timeoutMs: 200 });
    pair = await startReplicaPair({
      settings: { listRefetchIntervalMs: INTERVAL_MS },
      versionStores: [store(), store()],
      register: { [SERVICE]: backend.url },
      logs: { a: logs.a.log, b: logs.b.log },
    });
  });
  afterAll(async () => {
    await pair?.stop();
    await backend?.stop();
    await redis?.stop();
  });

  test("each replica pulls the changes it is told of, warning once that it limits itself alone", async () => {
    await redis.stop();
    const clients = [await pair.a.client(), await pair.b.client()];
    const before = toolLists;
    // Each replica is told of one change, within one interval: a shared claim would let only one pull.
    for (const client of clients) expect((await client.callTool({ name: "grow", arguments: {} })).isError).toBeFalsy();
    await eventually(() => toolLists >= before + 2);
    expect(toolLists).toBe(before + 2);
    for (const log of [logs.a, logs.b]) expect(log.entries().filter((entry) => entry.msg === WARNING)).toHaveLength(1);
  });
});
