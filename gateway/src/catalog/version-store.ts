/**
 * The registry version: one number every gateway replica shares, bumped after each registry write so the
 * others know to reload their catalog. It is a millisecond timestamp that only ever grows, so it stays
 * ahead of older values even when Redis loses its data.
 *
 * The same store hands out short claims, so that work one replica does for all (pulling a service's
 * lists again, asking a backend its revision) is done by one replica at a time rather than by each.
 */
import { createMemoryVersionStore } from "./version-store-memory.ts";

export interface VersionStore {
  readonly kind: "redis" | "upstash" | "memory";
  /** Current registry version, 0 when never bumped. Rejects when the store is unreachable. */
  current(): Promise<number>;
  /** Atomically sets the version to max(store-server time in ms, current + 1), announces it, returns it. */
  bump(): Promise<number>;
  /** Push notification of new versions where the backend supports it (ioredis pub/sub, in-process); undefined otherwise. */
  subscribe?(listener: (version: number) => void): () => void;
  /**
   * True for exactly one caller over all replicas until `ttlMs` has passed (then the key is free again);
   * false while someone else holds it. Rejects when the store is unreachable.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export const DEFAULT_KEY_PREFIX = "mcp:";

export interface VersionStoreOptions {
  redisUrl?: string;
  upstashUrl?: string;
  upstashToken?: string;
  /** Prepended to the key and channel names; defaults to "mcp:". */
  keyPrefix?: string;
}

/**
 * Redis when `redisUrl` is set, else Upstash when its URL and token are, else an in-process store
 * (a single replica needs nobody to tell it about its own writes). The Redis and Upstash clients are
 * imported only when configured, so that a single replica does not hold their modules in memory.
 */
export async function createVersionStore({
  redisUrl,
  upstashUrl,
  upstashToken,
  keyPrefix = DEFAULT_KEY_PREFIX,
}: VersionStoreOptions): Promise<VersionStore> {
  if (redisUrl) {
    const { createRedisVersionStore } = await import("./version-store-redis.ts");
    return createRedisVersionStore({ url: redisUrl, keyPrefix });
  }
  if (!upstashUrl && !upstashToken) return createMemoryVersionStore();
  // Half an Upstash configuration would silently leave every replica on its own version.
  if (!upstashUrl || !upstashToken) throw new Error("Upstash needs both its REST URL and its token");
  const { createUpstashClient, createUpstashVersionStore } = await import("./version-store-upstash.ts");
  return createUpstashVersionStore({
    client: createUpstashClient({ url: upstashUrl, token: upstashToken }),
    keyPrefix,
  });
}
