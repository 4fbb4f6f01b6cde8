/**
 * The registry version on a Redis server, through ioredis, with pub/sub for prompt notification.
 *
 * Commands fail within `timeoutMs` while Redis is unreachable instead of queueing until it returns: the
 * version watcher keeps polling and marks itself degraded meanwhile. Both connections keep reconnecting
 * in the background, and the subscriber resubscribes and reports the current version each time it does,
 * so nothing bumped during an outage goes unnoticed.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { VersionStore } from "./version-store.ts";

/**
 * Sets the version to max(server time in ms, stored + 1) and announces it, in one atomic step. Using the
 * server's clock and the stored value keeps versions rising across replicas with skewed clocks and
 * across bumps in the same millisecond; a time-based value also stays ahead after Redis loses its data.
 * KEYS[1] is the version key, ARGV[1] the channel.
 */
export const BUMP_VERSION_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local version = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
local value = string.format('%d', version)
redis.call('SET', KEYS[1], value)
redis.call('PUBLISH', ARGV[1], value)
return version
`;

export function versionKeys(keyPrefix: string): { version: string; channel: string; claim(key: string): string } {
  return {
    version: `${keyPrefix}registry:version`,
    channel: `${keyPrefix}registry:changes`,
    claim: (key) => `${keyPrefix}claims:${key}`,
  };
}

/** Reads a stored or published version; a missing key is version 0. */
export function parseVersion(raw: string | number | null): number {
  const version = Number(raw ?? 0);
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`not a registry version: ${JSON.stringify(raw)}`);
  return version;
}

export interface RedisVersionStoreOptions {
  url: string;
  keyPrefix: string;
  /** Bounds connecting and every command. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 1_000;

type CommandClient = Redis & { bumpRegistryVersion(key: string, channel: string): Promise<number> };

export function createRedisVersionStore({
  url,
  keyPrefix,
  timeoutMs = DEFAULT_TIMEOUT_MS,
}: RedisVersionStoreOptions): VersionStore {
  const keys = versionKeys(keyPrefix);
  const options = connectionOptions(timeoutMs);
  const client = new Redis(url, options) as CommandClient;
  client.on("error", ignoreConnectionError);
  client.defineCommand("bumpRegistryVersion", { numberOfKeys: 1, lua: BUMP_VERSION_LUA });

  const listeners = new Set<(version: number) => void>();
  let subscriber: Redis | undefined;

  const current = async () => parseVersion(await client.get(keys.version));
  const announce = (version: number) => {
    for (const listener of listeners) listener(version);
  };

  const startSubscriber = (): Redis => {
    const connection = new Redis(url, { ...options, autoResubscribe: false });
    connection.on("error", ignoreConnectionError);
    // Subscribing on every "ready" covers the first connection and each reconnect alike.
    connection.on("ready", () => {
      connection
        .subscribe(keys.channel)
        .then(current)
        .then(announce)
        // A failed attempt is retried on the next "ready"; until then the watcher's polling covers.
        .catch(() => {});
    });
    connection.on("message", (channel: string, message: string) => {
      if (channel !== keys.channel) return;
      const version = Number(message);
      if (Number.isSafeInteger(version)) announce(version);
    });
    return connection;
  };

  return {
    kind: "redis",
    current,
    bump: () => client.bumpRegistryVersion(keys.version, keys.channel),
    claim: async (key, ttlMs) => (await client.set(keys.claim(key), "1", "PX", ttlMs, "NX")) === "OK",
    subscribe(listener) {
      subscriber ??= startSubscriber();
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      listeners.clear();
      await Promise.all([closeConnection(client), subscriber && closeConnection(subscriber)]);
    },
  };
}

function connectionOptions(timeoutMs: number): RedisOptions {
  return {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // Commands issued while disconnected are rejected at the next failed reconnect (or by the timeout).
    maxRetriesPerRequest: 0,
    // Unanswered commands are not resent after a reconnect: their callers were already told they failed.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  };
}

// Connection errors also reject the commands in flight, which is where callers see them; the event
// itself only needs a listener so that it does not crash the process.
function ignoreConnectionError(): void {}

async function closeConnection(connection: Redis): Promise<void> {
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
