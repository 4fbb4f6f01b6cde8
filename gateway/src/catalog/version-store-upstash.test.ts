/**
 * Upstash cannot be reached from tests, so the SDK client gets a requester that runs each REST command
 * on a private redis-server instead of sending it over HTTP. The store's script and the SDK's handling
 * of results still run for real; only the transport is replaced.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { type Requester, Redis as UpstashRedis, type UpstashRequest, type UpstashResponse } from "@upstash/redis";
import { Redis } from "ioredis";
import { isRedisServerInstalled, type RedisTestServer, startRedisServer } from "../../test/support/redis-server.ts";
import type { VersionStore } from "./version-store.ts";
import { createRedisVersionStore } from "./version-store-redis.ts";
import { createUpstashVersionStore } from "./version-store-upstash.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

describe.skipIf(!isRedisServerInstalled())("Upstash version store", () => {
  let server: RedisTestServer;
  let connection: Redis;
  const opened: VersionStore[] = [];

  const openStore = (keyPrefix: string) => {
    const store = createUpstashVersionStore({ client: new UpstashRedis(requesterOn(connection)), keyPrefix });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await startRedisServer();
    connection = new Redis(server.url);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await connection.quit();
    await server.stop();
  });

  test("reads 0, then each bump's larger version; offers no subscription", async () => {
    const store = openStore(`test:${randomUUID()}:`);
    expect(store.kind).toBe("upstash");
    expect(store.subscribe).toBeUndefined();
    expect(await store.current()).toBe(0);

    const first = await store.bump();
    const second = await store.bump();
    expect(second).toBeGreaterThan(first);
    expect(await store.current()).toBe(second);
  });

  test("shares one rising version with a Redis replica on the same prefix", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const upstash = openStore(keyPrefix);
    const redis = createRedisVersionStore({ url: server.url, keyPrefix });
    opened.push(redis);

    const versions = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? upstash : redis).bump()));
    expect(new Set(versions).size).toBe(100);
    expect(await upstash.current()).toBe(Math.max(...versions));
    expect(await redis.current()).toBe(Math.max(...versions));
  });

  test("shares claims with a Redis replica on the same prefix: one winner, free again after its time", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const upstash = openStore(keyPrefix);
    const redis = createRedisVersionStore({ url: server.url, keyPrefix });
    opened.push(redis);

    const won = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? upstash : redis).claim("key", 60_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await upstash.claim("short", 200)).toBe(true);
    expect(await redis.claim("short", 200)).toBe(false);
    // Polled rather than timed: the claim's end is the server's to decide.
    while (!(await upstash.claim("short", 60_000))) await Bun.sleep(5);
  });
});

function requesterOn(connection: Redis): Requester {
  return {
    async request<TResult>({ body, path }: UpstashRequest): Promise<UpstashResponse<TResult>> {
      if (path?.length) throw new Error(`the store should send single commands, not /${path.join("/")}`);
      const [command, ...args] = body as [string, ...(string | number)[]];
      try {
        return { result: (await connection.call(command, ...args)) as TResult };
      } catch (error) {
        // The REST API reports a command's failure in the body, which the SDK turns into an error.
        return { error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
