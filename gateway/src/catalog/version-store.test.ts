import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { testRedisUrl } from "../../test/support/redis-server.ts";
import { createVersionStore, type VersionStore } from "./version-store.ts";
import { createMemoryVersionStore } from "./version-store-memory.ts";
import { createRedisVersionStore, versionKeys } from "./version-store-redis.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** A claim the tests hold longer than they run, so that only its one winner can have it. */
const HELD_KEY = "held";
const LONGER_THAN_ANY_TEST_MS = 60 * 60 * 1000;

/** Two handles on one registry version, as two gateway replicas hold. */
interface Replicas {
  a: VersionStore;
  b: VersionStore;
  close(): Promise<void>;
}

const backends: { name: string; open(): Replicas }[] = [
  {
    name: "memory",
    open() {
      const store = createMemoryVersionStore();
      return { a: store, b: store, close: () => store.close() };
    },
  },
];

const redisUrl = testRedisUrl();
if (redisUrl) {
  backends.push({
    name: "redis",
    open() {
      const keyPrefix = `test:${randomUUID()}:`;
      const a = createRedisVersionStore({ url: redisUrl, keyPrefix });
      const b = createRedisVersionStore({ url: redisUrl, keyPrefix });
      return {
        a,
        b,
        async close() {
          await Promise.all([a.close(), b.close()]);
          const admin = new Redis(redisUrl);
          const keys = versionKeys(keyPrefix);
          await admin.del(keys.version, keys.claim(HELD_KEY));
          await admin.quit();
        },
      };
    },
  });
}

for (const backend of backends) {
  describe(`${backend.name} version store`, () => {
    let replicas: Replicas;
    beforeEach(() => {
      replicas = backend.open();
    });
    afterEach(() => replicas.close());

    test("starts at 0; a bump returns a larger version, which every replica then reads", async () => {
      const { a, b } = replicas;
      expect(await a.current()).toBe(0);
      const first = await a.bump();
      expect(first).toBeGreaterThan(0);
      const second = await b.bump();
      expect(second).toBeGreaterThan(first);
      expect(await a.current()).toBe(second);
      expect(await b.current()).toBe(second);
    });

    test("200 concurrent bumps from two replicas each get their own version, rising on each replica", async () => {
      const { a, b } = replicas;
      const fromA = Array.from({ length: 100 }, () => a.bump());
      const fromB = Array.from({ length: 100 }, () => b.bump());
      const [versionsA, versionsB] = await Promise.all([Promise.all(fromA), Promise.all(fromB)]);

      const all = [...versionsA, ...versionsB];
      expect(new Set(all).size).toBe(200);
      expect(await a.current()).toBe(Math.max(...all));
      // One replica's bumps run in the order it sent them, so each sees its own versions rise.
      for (const versions of [versionsA, versionsB]) {
        expect(versions).toEqual(versions.toSorted((x, y) => x - y));
      }
    });

    test("of 40 concurrent claims of one key from two replicas exactly one wins; other keys are free", async () => {
      const { a, b } = replicas;
      const claims = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(HELD_KEY, LONGER_THAN_ANY_TEST_MS));
      const won = await Promise.all(claims);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await a.claim(HELD_KEY, LONGER_THAN_ANY_TEST_MS)).toBe(false);
      expect(await b.claim(`${HELD_KEY}-other`, 1)).toBe(true);
    });

    test("a claim is free again once its time is over, for one replica as for the other", async () => {
      const { a, b } = replicas;
      expect(await a.claim(HELD_KEY, 200)).toBe(true);
      expect(await b.claim(HELD_KEY, 200)).toBe(false);
      // Polled rather than timed: the claim's end is the store's to decide, on its own clock.
      while (!(await b.claim(HELD_KEY, LONGER_THAN_ANY_TEST_MS))) await Bun.sleep(5);
      expect(await a.claim(HELD_KEY, 200)).toBe(false);
    });

    test("a bump on one replica reaches the other's subscribers", async () => {
      const { a, b } = replicas;
      const seen: number[] = [];
      let onSeen = () => {};
      b.subscribe?.((version) => {
        seen.push(version);
        onSeen();
      });
      const delivered = (version: number) =>
        new Promise<void>((resolve) => {
          onSeen = () => {
            if (seen.includes(version)) resolve();
          };
          onSeen();
        });

      // The Redis subscriber reads the version once it has subscribed, so the first bump may arrive by
      // that read; once it is seen the subscription is live, and the second can only come as a message.
      await delivered(await a.bump());
      const second = await a.bump();
      await delivered(second);
      expect(seen).toContain(second);
    });
  });
}

describe("createVersionStore", () => {
  test("keeps the version in process when no Redis is configured", async () => {
    const store = await createVersionStore({ keyPrefix: "unused:" });
    expect(store.kind).toBe("memory");
    await store.close();
  });

  test("prefers Redis when both Redis and Upstash are configured", async () => {
    const store = await createVersionStore({
      redisUrl: redisUrl ?? "redis://127.0.0.1:1",
      upstashUrl: "https://upstash.invalid",
      upstashToken: "token",
      keyPrefix: `test:${randomUUID()}:`,
    });
    expect(store.kind).toBe("redis");
    expect(store.subscribe).toBeFunction();
    await store.close();
  });

  // Building the Upstash store sends nothing; the REST calls themselves are covered by its own test.
  test("uses Upstash, which cannot push, when its URL and token are set", async () => {
    const store = await createVersionStore({ upstashUrl: "https://upstash.invalid", upstashToken: "token" });
    expect(store.kind).toBe("upstash");
    expect(store.subscribe).toBeUndefined();
    await store.close();
  });

  test("refuses half an Upstash configuration rather than silently running alone", async () => {
    await expect(createVersionStore({ upstashUrl: "https://upstash.invalid" })).rejects.toThrow(/token/);
    await expect(createVersionStore({ upstashToken: "token" })).rejects.toThrow(/URL/);
  });
});
