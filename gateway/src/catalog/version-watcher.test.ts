import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { isRedisServerInstalled, type RedisTestServer, startRedisServer } from "../../test/support/redis-server.ts";
import type { VersionStore } from "./version-store.ts";
import { createMemoryVersionStore } from "./version-store-memory.ts";
import { createRedisVersionStore } from "./version-store-redis.ts";
import { type VersionWatcher, type VersionWatcherOptions, watchVersion } from "./version-watcher.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const watchers: VersionWatcher[] = [];
const stores: VersionStore[] = [];

/** Starts a watcher that records what it is told; stopped after each test. */
function watch(store: VersionStore, options: Partial<VersionWatcherOptions> = {}) {
  const seen: number[] = [];
  const errors: unknown[] = [];
  const recovered = { count: 0 };
  const watcher = watchVersion({
    store,
    pollIntervalMs: 20,
    onVersion: (version) => seen.push(version),
    onError: (error) => errors.push(error),
    onRecovered: () => recovered.count++,
    ...options,
  });
  watchers.push(watcher);
  return { watcher, seen, errors, recovered };
}

afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.stop();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

describe("version watcher", () => {
  test("delivers a pushed version without waiting for the next poll", async () => {
    const store = createMemoryVersionStore();
    const { watcher, seen } = watch(store, { pollIntervalMs: 60_000 });
    await watcher.checkNow();

    const bumped = await store.bump();
    await waitFor(() => seen.includes(bumped));
  });

  test("finds versions by polling a store that cannot push", async () => {
    const store = createMemoryVersionStore();
    const { seen } = watch(pollOnly(store));

    const bumped = await store.bump();
    await waitFor(() => seen.includes(bumped));
  });

  test("never runs two polls at once, and merges the requests made during one into one more", async () => {
    const { store, reads, release } = withHeldReads(createMemoryVersionStore());
    const { watcher } = watch(store, { pollIntervalMs: 5 });

    const asked = [watcher.checkNow(), watcher.checkNow()];
    await Bun.sleep(50); // several ticks, all while the first read is held
    expect(reads.started).toBe(1);

    release();
    await Promise.all(asked);
    expect(reads.started).toBeGreaterThanOrEqual(2);
    expect(reads.mostAtOnce).toBe(1);
  });

  test("reports a throwing onVersion without taking it for an outage", async () => {
    const { watcher, errors } = watch(createMemoryVersionStore(), {
      onVersion: () => {
        throw new Error("consumer failed");
      },
    });
    await watcher.checkNow();
    expect(errors).toContainEqual(new Error("consumer failed"));
    expect(watcher.degraded).toBe(false);
  });

  test("tells nothing more once stopped", async () => {
    const store = createMemoryVersionStore();
    const { watcher, seen } = watch(store, { pollIntervalMs: 5 });
    await watcher.checkNow();
    watcher.stop();
    const told = seen.length;

    await store.bump();
    await Bun.sleep(30);
    expect(seen.length).toBe(told);
  });
});

describe.skipIf(!isRedisServerInstalled())("version watcher on a private Redis", () => {
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server.stop());

  const openReplica = (keyPrefix: string) => {
    const store = createRedisVersionStore({ url: server.url, keyPrefix, timeoutMs: 300 });
    stores.push(store);
    return store;
  };

  test("a replica that only polls sees another replica's bump", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const { seen } = watch(pollOnly(openReplica(keyPrefix)));

    const bumped = await openReplica(keyPrefix).bump();
    await waitFor(() => seen.includes(bumped));
  });

  test("is degraded while Redis is down, then recovers and delivers a version bumped after the restart", async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const { watcher, seen, errors, recovered } = watch(openReplica(keyPrefix), { pollIntervalMs: 50 });
    const other = openReplica(keyPrefix);
    await watcher.checkNow();
    expect(watcher.degraded).toBe(false);

    await server.stop();
    await waitFor(() => watcher.degraded);
    expect(errors.length).toBeGreaterThan(0);

    await server.restart();
    let bumped = 0;
    await waitFor(async () => {
      bumped = await other.bump().catch(() => 0);
      return bumped > 0;
    });
    await waitFor(() => seen.includes(bumped) && !watcher.degraded);
    expect(recovered.count).toBeGreaterThan(0);
  });
});

/** The same store without push, as Upstash is. */
function pollOnly(store: VersionStore): VersionStore {
  return {
    kind: store.kind,
    current: () => store.current(),
    bump: () => store.bump(),
    claim: (key, ttlMs) => store.claim(key, ttlMs),
    close: () => store.close(),
  };
}

/** Plays a slow store: every read waits until `release()`, and the reads are counted. */
function withHeldReads(inner: VersionStore) {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reads = { started: 0, running: 0, mostAtOnce: 0 };
  const store: VersionStore = {
    ...pollOnly(inner),
    async current() {
      reads.started++;
      reads.running++;
      reads.mostAtOnce = Math.max(reads.mostAtOnce, reads.running);
      try {
        await held;
        return await inner.current();
      } finally {
        reads.running--;
      }
    },
  };
  return { store, reads, release };
}

/** Checks `condition` until it holds; gives up after a few seconds so a broken recovery fails rather than hangs. */
async function waitFor(condition: () => boolean | Promise<boolean>, tries = 200): Promise<void> {
  for (let left = tries; left > 0; left--) {
    if (await condition()) return;
    await Bun.sleep(25);
  }
  throw new Error("condition never held");
}
