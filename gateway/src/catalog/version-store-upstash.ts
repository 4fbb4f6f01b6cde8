/**
 * The registry version on Upstash, over its REST API. The same Lua script as on Redis keeps the
 * version rising; there is no subscription over REST, so replicas learn of bumps by polling.
 */
import { Redis } from "@upstash/redis";
import type { VersionStore } from "./version-store.ts";
import { BUMP_VERSION_LUA, parseVersion, versionKeys } from "./version-store-redis.ts";

export interface UpstashVersionStoreOptions {
  client: Redis;
  keyPrefix: string;
}

export function createUpstashVersionStore({ client, keyPrefix }: UpstashVersionStoreOptions): VersionStore {
  const keys = versionKeys(keyPrefix);
  return {
    kind: "upstash",
    // The client parses JSON-looking strings, so the stored value may come back as a number.
    current: async () => parseVersion(await client.get<string | number>(keys.version)),
    bump: async () =>
      parseVersion(await client.eval<[string], number>(BUMP_VERSION_LUA, [keys.version], [keys.channel])),
    claim: async (key, ttlMs) => (await client.set(keys.claim(key), "1", { nx: true, px: ttlMs })) === "OK",
    // Nothing to release: every command is its own HTTP request.
    async close() {},
  };
}

export interface UpstashClientOptions {
  url: string;
  token: string;
  /** Bounds each command, retries included. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2_000;

/** An Upstash client that gives up within `timeoutMs` rather than retrying for seconds by default. */
export function createUpstashClient({ url, token, timeoutMs = DEFAULT_TIMEOUT_MS }: UpstashClientOptions): Redis {
  return new Redis({ url, token, retry: { retries: 1 }, signal: () => AbortSignal.timeout(timeoutMs) });
}
