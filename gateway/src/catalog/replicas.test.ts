/**
 * Several gateways on one registry database and one version store behave as one, and the MCP hot path
 * never reads the database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { withoutAuditWrites } from "../../test/support/hot-path-queries.ts";
import { isRedisServerInstalled, startRedisServer } from "../../test/support/redis-server.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import { createTestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "./version-store.ts";
import { createRedisVersionStore } from "./version-store-redis.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

let shopping: BackendProcess;
let user: BackendProcess;

beforeAll(async () => {
  [shopping, user] = await Promise.all([startBackend("shopping"), startBackend("user")]);
});
afterAll(async () => {
  await Promise.all([shopping?.stop(), user?.stop()]);
});

/** Polls `check` until it holds; fails the test after `attempts` tries instead of hanging. */
async function eventually(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await Bun.sleep(25);
  }
  throw new Error(`never happened: ${what}`);
}

async function toolNames(gw: RunningGateway): Promise<string[]> {
  const client = await gw.client();
  return (await client.listTools()).tools.map((t) => t.name);
}

describe("the MCP hot path", () => {
  test("runs zero database queries in steady state, besides the audit log's batched writes", async () => {
    const queries: string[] = [];
    const database = await createTestDatabase({ onQuery: (sql) => queries.push(sql) });
    const versions = await createTestVersionStore();
    const gw = await startGateway({ database, versionStore: versions });
    try {
      expect((await gw.admin("POST", "/register", { name: "shopping-service", url: shopping.url })).status).toBe(201);
      expect((await gw.admin("POST", "/register", { name: "user-service", url: user.url })).status).toBe(201);
      const client = await gw.client();
      await client.listTools();
      const before = queries.length;
      expect(before).toBeGreaterThan(0);

      for (let i = 0; i < 50; i++) {
        const { tools } = await client.listTools();
        expect(tools.length).toBe(4);
        const result = await client.callTool({
          name: i % 2 ? "getProductById" : "getUserById",
          arguments: { id: i % 2 ? "123" : "456" },
        });
        expect(result.isError).toBeFalsy();
      }
      // The audit writer inserts calls in batches on its own schedule, not on a request's way.
      expect(withoutAuditWrites(queries.slice(before))).toEqual([]);
    } finally {
      await gw.stop();
      await versions.close();
      await database.close();
    }
  });
});

/**
 * Two replicas on one database and one store; the store is Redis when REDIS_URL is set. `pollIntervalMs`
 * is how often each replica reads the version: for the pub/sub case it is longer than the test, so a
 * change can only arrive as a message and dead pub/sub cannot hide behind polling.
 */
function describeReplicas(label: string, makeStores?: () => [VersionStore, VersionStore], pollIntervalMs = 100) {
  describe(`two replicas (${label})`, () => {
    let pair: ReplicaPair;
    let a: RunningGateway;
    let b: RunningGateway;

    beforeAll(async () => {
      pair = await startReplicaPair({
        settings: { catalogPollIntervalMs: pollIntervalMs },
        versionStores: makeStores?.(),
      });
      ({ a, b } = pair);
    });
    afterAll(() => pair?.stop());

    test("a service registered through one is callable through the other", async () => {
      expect((await a.admin("POST", "/register", { name: "shopping-service", url: shopping.url })).status).toBe(201);
      await eventually(async () => (await toolNames(b)).includes("getProductById"), "B lists shopping's tools");
      const result = await (await b.client()).callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBeFalsy();
    });

    test("an update through one reaches the other, and a delete removes the tools everywhere", async () => {
      expect((await b.admin("POST", "/register", { name: "user-service", url: user.url })).status).toBe(201);
      await eventually(async () => (await toolNames(a)).includes("getUserById"), "A lists user's tools");
      expect((await b.admin("PUT", "/update/user-service")).status).toBe(200);
      expect((await a.admin("DELETE", "/delete/user-service")).status).toBe(200);
      await eventually(async () => !(await toolNames(b)).includes("getUserById"), "B dropped user's tools");
      expect(await toolNames(a)).not.toContain("getUserById");
    });

    test("concurrent writes through both replicas lose nothing", async () => {
      const names = Array.from({ length: 8 }, (_, i) => `svc-${i}`);
      const responses = await Promise.all(
        names.map((name, i) =>
          (i % 2 ? a : b).admin("POST", "/register", { name, url: i % 3 ? user.url : shopping.url }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(names.map(() => 201));
      for (const gw of [a, b]) {
        await eventually(async () => {
          const known = gw.gateway.catalog.snapshot().services.map((s) => s.name);
          return names.every((n) => known.includes(n));
        }, "every replica's catalog has every new service");
        // Each new service brings two tools, all listed (clashing names get the service prefix).
        expect((await toolNames(gw)).length).toBe(gw.gateway.catalog.snapshot().services.length * 2);
      }
      const listed = (await (await a.admin("GET", "/services")).json()) as { services: { name: string }[] };
      expect(listed.services.map((s) => s.name)).toEqual(expect.arrayContaining(names));
    });
  });
}

const redisUrl = process.env.REDIS_URL || undefined;
/** A poll interval no test outlives. */
const POLLING_OFF_MS = 60 * 60 * 1000;
if (redisUrl) {
  const prefix = () => `test:${crypto.randomUUID()}:`;
  describeReplicas(
    "Redis pub/sub, polling off",
    () => {
      const p = prefix();
      return [
        createRedisVersionStore({ url: redisUrl, keyPrefix: p }),
        createRedisVersionStore({ url: redisUrl, keyPrefix: p }),
      ];
    },
    POLLING_OFF_MS,
  );
  describeReplicas("Redis polling only", () => {
    const p = prefix();
    const pollOnly = (store: VersionStore): VersionStore => ({
      ...store,
      kind: store.kind,
      subscribe: undefined,
      current: () => store.current(),
      bump: () => store.bump(),
      close: () => store.close(),
    });
    return [
      pollOnly(createRedisVersionStore({ url: redisUrl, keyPrefix: p })),
      pollOnly(createRedisVersionStore({ url: redisUrl, keyPrefix: p })),
    ];
  });
} else {
  describeReplicas("shared in-process store");
}

describe.skipIf(!isRedisServerInstalled())("Redis outage", () => {
  test("replicas keep serving, report degraded, and converge when Redis is back", async () => {
    const redis = await startRedisServer();
    const prefix = `test:${crypto.randomUUID()}:`;
    const { a, b, stop } = await startReplicaPair({
      versionStores: [
        createRedisVersionStore({ url: redis.url, keyPrefix: prefix }),
        createRedisVersionStore({ url: redis.url, keyPrefix: prefix }),
      ],
    });
    try {
      expect((await a.admin("POST", "/register", { name: "shopping-service", url: shopping.url })).status).toBe(201);
      await eventually(async () => (await toolNames(b)).includes("getProductById"), "B lists shopping");

      await redis.stop();
      // Admin writes still commit; the writer sees its own change at once.
      expect((await a.admin("POST", "/register", { name: "user-service", url: user.url })).status).toBe(201);
      expect(await toolNames(a)).toContain("getUserById");
      for (const gw of [a, b]) {
        await eventually(
          async () => ((await (await fetch(`${gw.url}/health`)).json()) as { status: string }).status === "degraded",
          "health says degraded",
        );
      }
      // B still serves what it had.
      const during = await (await b.client()).callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(during.isError).toBeFalsy();

      await redis.restart();
      await eventually(
        async () => (await toolNames(b)).includes("getUserById"),
        "B converges after Redis returns",
        400,
      );
      await eventually(
        async () => ((await (await fetch(`${b.url}/health`)).json()) as { status: string }).status === "ok",
        "B healthy again",
        400,
      );
    } finally {
      await stop();
      await redis.stop();
    }
  });
});

describe("Postgres outage", () => {
  test("MCP keeps serving from memory and admin routes answer 503", async () => {
    const database = await createTestDatabase();
    const versions = await createTestVersionStore();
    const gw = await startGateway({ database, versionStore: versions });
    try {
      expect((await gw.admin("POST", "/register", { name: "shopping-service", url: shopping.url })).status).toBe(201);
      await database.close();
      const result = await (await gw.client()).callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBeFalsy();
      const res = await gw.admin("GET", "/services");
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
        "registry database is unavailable",
      );
      const health = (await (await gw.admin("GET", "/health")).json()) as { status: string; database: string };
      expect(health).toMatchObject({ status: "degraded", database: "down" });
    } finally {
      await gw.stop();
      await versions.close();
    }
  });
});
