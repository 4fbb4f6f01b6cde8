import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { isRedisServerInstalled, type RedisTestServer, startRedisServer } from "../../test/support/redis-server.ts";
import { createVersionStore, type VersionStore } from "./version-store.ts";
import { createRedisVersionStore, versionKeys } from "./version-store-redis.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

// A private server, so that stopping it and using the default key prefix disturbs nobody.
describe.skipIf(!isRedisServerInstalled())("Redis version store on a private server", () => {
  let server: RedisTestServer;
  let admin: Redis;
  const opened: VersionStore[] = [];

  const openStore = (keyPrefix = `test:${randomUUID()}:`) => {
    const store = createRedisVersionStore({ url: server.url, keyPrefix, timeoutMs: 500 });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin.on("error", () => {});
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  test("keeps the version at mcp:registry:version and announces it on mcp:registry:changes by default", async () => {
    const listener = new Redis(server.url);
    try {
      await listener.subscribe("mcp:registry:changes");
      const announced = new Promise<string>((resolve) =>
        listener.once("message", (_channel, message) => resolve(message)),
      );
      const store = await createVersionStore({ redisUrl: server.url });
      opened.push(store);

      const version = await store.bump();
      expect(await admin.get("mcp:registry:version")).toBe(String(version));
      expect(await announced).toBe(String(version));
    } finally {
      listener.disconnect();
    }
  });

  test("a bump takes the server's time in milliseconds, or one more than a stored version ahead of it", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const key = versionKeys(keyPrefix).version;
    const store = openStore(keyPrefix);

    const [seconds, micros] = await admin.time();
    const serverMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const fromTime = await store.bump();
    expect(fromTime).toBeGreaterThanOrEqual(serverMs);

    // As if another replica, or a server with a clock far ahead, had bumped before.
    const ahead = fromTime + 10_000_000;
    await admin.set(key, String(ahead));
    expect(await store.bump()).toBe(ahead + 1);
    expect(await store.current()).toBe(ahead + 1);
  });

  test("rejects instead of waiting while Redis is down, and recovers by itself once it is back", async () => {
    const store = openStore();
    const before = await store.bump();

    await server.stop();
    await expect(store.current()).rejects.toThrow();
    await expect(store.bump()).rejects.toThrow();

    await server.restart();
    // The restarted server is empty; the time-based version still moves past the lost one.
    const after = await untilResolves(() => store.bump());
    expect(after).toBeGreaterThan(before);
    expect(await store.current()).toBe(after);
  });
});

/** Retries `attempt` while it rejects, as a caller would while a connection comes back. */
async function untilResolves<T>(attempt: () => Promise<T>, tries = 100): Promise<T> {
  for (let left = tries; ; left--) {
    try {
      return await attempt();
    } catch (error) {
      if (left <= 1) throw error;
      await Bun.sleep(50);
    }
  }
}
