/**
 * Gives each test its own registry database: a freshly created Postgres database when DATABASE_URL is set
 * (dropped again on close), otherwise an in-memory PGlite.
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { createDatabase, type RegistryDatabase } from "../../src/registry/database.ts";

export interface TestDatabase extends RegistryDatabase {
  /** URL of this test's Postgres database, for a gateway started as a subprocess; undefined on PGlite. */
  url: string | undefined;
}

/** The server tests run against, if any. */
export function testDatabaseUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

export type TestDatabaseKind = "pglite" | "postgres";

/** The stores storage tests run on: always the embedded one, and the real server too when there is one. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return testDatabaseUrl() ? ["pglite", "postgres"] : ["pglite"];
}

/** A fresh database on `kind`: by default the real server when there is one, else PGlite. */
export async function createTestDatabase(
  options: { onQuery?: (sql: string) => void; kind?: TestDatabaseKind } = {},
): Promise<TestDatabase> {
  const serverUrl = options.kind === "pglite" ? undefined : testDatabaseUrl();
  if (options.kind === "postgres" && !serverUrl) throw new Error("a Postgres test database needs DATABASE_URL");
  if (!serverUrl) return { ...(await createDatabase({ onQuery: options.onQuery })), url: undefined };

  const scratch = await createScratchDatabase(serverUrl);
  try {
    const database = await createDatabase({ url: scratch.url, poolMax: 5, onQuery: options.onQuery });
    return {
      ...database,
      url: scratch.url,
      async close() {
        await database.close();
        await scratch.drop();
      },
    };
  } catch (error) {
    await scratch.drop();
    throw error;
  }
}

/** An empty, unmigrated database on the server at `serverUrl`, with a random name. */
export async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `test_${randomUUID().replaceAll("-", "")}`;
  await withAdminConnection(serverUrl, (admin) => admin.unsafe(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdminConnection(serverUrl, (admin) => admin.unsafe(`drop database if exists "${name}" with (force)`)),
  };
}

async function withAdminConnection(serverUrl: string, run: (admin: postgres.Sql) => Promise<unknown>): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await run(admin);
  } finally {
    await admin.end();
  }
}
