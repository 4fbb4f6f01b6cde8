/**
 * Opens the registry database on one of two drivers: postgres.js when a URL is configured, otherwise PGlite
 * (in memory or in a local directory) so the gateway runs with no infrastructure. Both are migrated on open.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import * as schema from "./schema.ts";

/** What both drivers have in common; a transaction is one too, so queries accept either. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface RegistryDatabase {
  db: Database;
  kind: "postgres" | "pglite";
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgres:// URL; without one the registry lives in PGlite. */
  url?: string;
  /** PGlite data directory (created if missing), or "memory://". Defaults to memory. */
  pgliteDir?: string;
  /** Upper bound of the postgres.js pool. */
  poolMax?: number;
  connectTimeoutMs?: number;
  /** Postgres's statement_timeout on every pooled connection, so a slow server fails a query rather than holding it. */
  statementTimeoutMs?: number;
  /** Called with the SQL of every query Drizzle sends, migrations excepted. */
  onQuery?: (sql: string) => void;
}

const MIGRATIONS_FOLDER = join(import.meta.dir, "../../../drizzle");
const DEFAULT_POOL_MAX = 10;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_GRACE_MS = 5_000;

// Postgres reports "already exists, skipping" and the like as notices, which postgres.js would print.
const ignoreNotice = () => {};

export async function createDatabase(options: DatabaseOptions): Promise<RegistryDatabase> {
  const logger = queryLogger(options.onQuery);
  return options.url ? openPostgres(options.url, options, logger) : openPglite(options.pgliteDir, logger);
}

async function openPostgres(
  url: string,
  options: DatabaseOptions,
  logger: Logger | undefined,
): Promise<RegistryDatabase> {
  // postgres.js counts in seconds, fractions allowed.
  const connectTimeout = (options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) / 1000;
  const closeGraceSeconds = (options.statementTimeoutMs ?? DEFAULT_CLOSE_GRACE_MS) / 1000;
  const driver = await loadPostgresDriver();
  await migratePostgresExclusively(driver, url, connectTimeout);
  const { postgres, drizzle } = driver;
  const client = postgres(url, {
    max: options.poolMax ?? DEFAULT_POOL_MAX,
    connect_timeout: connectTimeout,
    onnotice: ignoreNotice,
    ...(options.statementTimeoutMs === undefined
      ? {}
      : { connection: { statement_timeout: options.statementTimeoutMs } }),
  });
  const db = drizzle({ client, schema, logger });
  return {
    db,
    kind: "postgres",
    ping: () => ping(db),
    // Queries still running get as long as the server would give them; a hung server must not hold up a shutdown.
    close: () => client.end({ timeout: closeGraceSeconds }),
  };
}

type PostgresDriver = Awaited<ReturnType<typeof loadPostgresDriver>>;

/** Imported only when a URL asks for Postgres: the embedded default would otherwise hold postgres.js in memory for nothing. */
async function loadPostgresDriver() {
  const [{ default: postgres }, { drizzle }, { migrate }] = await Promise.all([
    import("postgres"),
    import("drizzle-orm/postgres-js"),
    import("drizzle-orm/postgres-js/migrator"),
  ]);
  return { postgres, drizzle, migrate };
}

/**
 * Drizzle's migrator is not safe to run twice at once (both runs see the same pending migrations), which is
 * what happens when several gateways start together. A session advisory lock on a single connection makes
 * them take turns; the later ones then find nothing to apply. Ending the connection releases the lock.
 */
async function migratePostgresExclusively(
  { postgres, drizzle, migrate }: PostgresDriver,
  url: string,
  connectTimeout: number,
): Promise<void> {
  const client = postgres(url, { max: 1, connect_timeout: connectTimeout, onnotice: ignoreNotice });
  try {
    await client`select pg_advisory_lock(hashtext('mcp-federation-gateway.migrations'))`;
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.end();
  }
}

/**
 * PGlite's own defaults, with Postgres' shared memory cut to what one embedded backend uses: the engine
 * touches all of it at start. Shared buffers go from 128 MB to 4 MB (a registry of 10,000 tools fits in a
 * few MB and is read whole only on a catalog reload), and the per-connection tables (process slots, lock
 * and predicate-lock tables) are sized for the single connection PGlite has instead of 100, which takes
 * another 4 MB off the WebAssembly heap.
 */
const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams,
  ...["-c", "shared_buffers=4MB"],
  ...["-c", "max_connections=1", "-c", "superuser_reserved_connections=0"],
];

async function openPglite(dir: string | undefined, logger: Logger | undefined): Promise<RegistryDatabase> {
  const dataDir = dir ?? "memory://";
  // PGlite creates only the last path segment itself.
  if (!dataDir.includes("://")) await mkdir(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { startParams: PGLITE_START_PARAMS });
  try {
    await migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (error) {
    await client.close();
    throw error;
  }
  const db = drizzlePglite({ client, schema, logger });
  return {
    db,
    kind: "pglite",
    ping: () => ping(db),
    close: () => client.close(),
  };
}

async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}

function queryLogger(onQuery: DatabaseOptions["onQuery"]): Logger | undefined {
  return onQuery && { logQuery: (query) => onQuery(query) };
}
