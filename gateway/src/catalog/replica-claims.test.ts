/**
 * Claims fall back to each replica limiting itself alone whenever the store cannot answer, so that a
 * store outage neither holds up the caller nor leaves the work undone.
 */
import { afterEach, expect, test } from "bun:test";
import { captureLog } from "../../test/support/captured-log.ts";
import { createReplicaClaims } from "./replica-claims.ts";
import type { VersionStore } from "./version-store.ts";
import { createMemoryVersionStore } from "./version-store-memory.ts";
import { createRedisVersionStore } from "./version-store-redis.ts";

const opened: VersionStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function capturedLog() {
  const { log, entries } = captureLog();
  return { log, warnings: () => entries().filter((entry) => entry.level === "warn") };
}

test("passes on the store's answer", async () => {
  const store = createMemoryVersionStore();
  opened.push(store);
  const { log, warnings } = capturedLog();
  const claim = createReplicaClaims({ store, log });

  expect(await claim("key", 60_000)).toBe(true);
  expect(await claim("key", 60_000)).toBe(false);
  expect(warnings()).toEqual([]);
});

test("grants every claim while the store is unreachable, and warns once for the outage", async () => {
  // Nothing listens on port 1: each command is refused once the connection attempt fails.
  const store = createRedisVersionStore({ url: "redis://127.0.0.1:1", keyPrefix: "unreachable:", timeoutMs: 200 });
  opened.push(store);
  const { log, warnings } = capturedLog();
  const claim = createReplicaClaims({ store, log });

  expect(await Promise.all([claim("key", 60_000), claim("key", 60_000), claim("other", 60_000)])).toEqual([
    true,
    true,
    true,
  ]);
  expect(warnings().map((line) => line.msg)).toEqual([
    "the version store cannot hand out claims; each replica limits itself alone",
  ]);
});

test("grants a claim the store has not answered within the wait, rather than holding up its caller", async () => {
  const store = createMemoryVersionStore();
  opened.push(store);
  let answer = () => {};
  // The store as it is while it answers slowly: the claim is taken only once the answer is let through.
  const slow: Pick<VersionStore, "claim"> = {
    claim: async (key, ttlMs) => {
      await new Promise<void>((resolve) => {
        answer = resolve;
      });
      return store.claim(key, ttlMs);
    },
  };
  const { log } = capturedLog();
  const claim = createReplicaClaims({ store: slow, log, waitMs: 1 });

  expect(await claim("key", 60_000)).toBe(true);
  answer();
});

test("a claim held for no time is granted without asking the store, which would refuse it", async () => {
  // Redis refuses `SET … PX 0`: asking would count as an outage (LIST_REFETCH_INTERVAL_MS=0 claims for 0 ms).
  const store = createMemoryVersionStore();
  opened.push(store);
  const asked: string[] = [];
  const { log, warnings } = capturedLog();
  const claim = createReplicaClaims({
    store: {
      claim(key, ttlMs) {
        asked.push(key);
        return store.claim(key, ttlMs);
      },
    },
    log,
  });

  expect(await claim("key", 0)).toBe(true);
  expect(await claim("key", 0)).toBe(true);
  expect(asked).toEqual([]);
  expect(warnings()).toEqual([]);
});
