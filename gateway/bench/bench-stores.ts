/**
 * The stores a benchmark run works on. With DATABASE_URL, scratch Postgres databases that are dropped at
 * the end; without it, PGlite. With REDIS_URL, a private key prefix on that server, deleted at the end;
 * without it, one in-process version store that the in-process gateways share.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { VersionStore } from "../src/catalog/version-store.ts";
import { createMemoryVersionStore } from "../src/catalog/version-store-memory.ts";
import { createRedisVersionStore, versionKeys } from "../src/catalog/version-store-redis.ts";
import { createDatabase, type RegistryDatabase } from "../src/registry/database.ts";
import { createScratchDatabase } from "../test/support/test-database.ts";

export interface BenchDatabase {
  kind: "postgres" | "pglite";
  /** Open handle, for seeding and for the first in-process gateway. */
  database: RegistryDatabase;
  /**
   * A handle for another replica: its own connection pool on Postgres; on in-memory PGlite, which only
   * one process-local handle can reach, the same handle.
   */
  replica(): Promise<RegistryDatabase>;
  /** The scratch database's URL; undefined on PGlite. */
  url: string | undefined;
  close(): Promise<void>;
}

/** A fresh registry: a scratch database on `serverUrl`, else in-memory PGlite. Both are migrated. */
export async function openBenchDatabase(serverUrl: string | undefined): Promise<BenchDatabase> {
  if (!serverUrl) {
    const database = await createDatabase({});
    return { kind: "pglite", database, url: undefined, replica: async () => database, close: () => database.close() };
  }
  const scratch = await createScratchDatabase(serverUrl);
  const opened: RegistryDatabase[] = [];
  const open = async () => {
    const database = await createDatabase({ url: scratch.url, poolMax: 5 });
    opened.push(database);
    return database;
  };
  try {
    const database = await open();
    return {
      kind: "postgres",
      database,
      url: scratch.url,
      replica: open,
      async close() {
        await Promise.all(opened.map((d) => d.close()));
        await scratch.drop();
      },
    };
  } catch (error) {
    await scratch.drop();
    throw error;
  }
}

/** A PGlite data directory for gateways started as child processes; the caller fills and closes it first. */
export async function createPgliteDirectory(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-bench-pglite-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface BenchVersionStores {
  kind: "redis" | "memory";
  /** Settings for a gateway in a child process to join the same version store. */
  redisUrl: string | undefined;
  keyPrefix: string;
  /** The store of one replica: its own Redis connections, or the one in-process store. */
  forReplica(): VersionStore;
  close(): Promise<void>;
}

export function openBenchVersionStores(redisUrl: string | undefined): BenchVersionStores {
  const keyPrefix = `bench:${crypto.randomUUID()}:`;
  const opened: VersionStore[] = [];
  if (!redisUrl) {
    const shared = createMemoryVersionStore();
    return { kind: "memory", redisUrl, keyPrefix, forReplica: () => shared, close: () => shared.close() };
  }
  return {
    kind: "redis",
    redisUrl,
    keyPrefix,
    forReplica() {
      const store = createRedisVersionStore({ url: redisUrl, keyPrefix });
      opened.push(store);
      return store;
    },
    async close() {
      await Promise.all(opened.map((s) => s.close()));
      await deleteKeys(redisUrl, [versionKeys(keyPrefix).version]);
    },
  };
}

async function deleteKeys(redisUrl: string, keys: string[]): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
