import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { pgSchema, serial } from "drizzle-orm/pg-core";
import {
  createScratchDatabase,
  createTestDatabase,
  testDatabaseKinds,
  testDatabaseUrl,
} from "../../test/support/test-database.ts";
import { createDatabase, databaseUrlFromParts, type RegistryDatabase } from "./database.ts";
import { findActiveService, insertService, listActiveServices } from "./queries.ts";
import { services } from "./schema.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

// Where Drizzle's migrator records what it applied.
const appliedMigrations = pgSchema("drizzle").table("__drizzle_migrations", { id: serial("id") });
const journal: { entries: unknown[] } = await Bun.file(
  join(import.meta.dir, "../../../drizzle/meta/_journal.json"),
).json();

async function countAppliedMigrations(database: RegistryDatabase): Promise<number> {
  const [row] = await database.db.select({ rows: count() }).from(appliedMigrations);
  return row?.rows ?? 0;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(options: Parameters<typeof createDatabase>[0]): Promise<RegistryDatabase> {
  const database = await createDatabase(options);
  cleanups.push(() => database.close());
  return database;
}

describe("createDatabase", () => {
  test.each(testDatabaseKinds())("migrates and answers ping on %s", async (kind) => {
    const database = await createTestDatabase({ kind });
    cleanups.push(() => database.close());

    await database.ping();

    expect(database.kind).toBe(kind);
    expect(await countAppliedMigrations(database)).toBe(journal.entries.length);
  });

  test("keeps registrations in a PGlite directory across restarts, migrating only once", async () => {
    const root = await mkdtemp(join(tmpdir(), "registry-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const pgliteDir = join(root, "not", "yet", "there");

    const first = await createDatabase({ pgliteDir });
    await insertService(first.db, { name: "shopping", url: "http://shopping/mcp", tools: [{ name: "get_product" }] });
    await first.close();
    const second = await open({ pgliteDir });

    expect(second.kind).toBe("pglite");
    expect((await findActiveService(second.db, "shopping"))?.tools).toEqual([{ name: "get_product" }]);
    expect(await listActiveServices(second.db)).toHaveLength(1);
    expect(await countAppliedMigrations(second)).toBe(journal.entries.length);
  });

  test("reports each query to onQuery, but not the migrations", async () => {
    const queries: string[] = [];
    const database = await open({ onQuery: (query) => queries.push(query) });
    expect(queries).toEqual([]);

    await database.db.select({ rows: count() }).from(services);

    expect(queries).toEqual(['select count(*) from "services"']);
  });

  test.skipIf(!testDatabaseUrl())("migrates one Postgres database from several gateways starting at once", async () => {
    const scratch = await createScratchDatabase(testDatabaseUrl()!);
    cleanups.push(() => scratch.drop());

    const gateways = await Promise.all(Array.from({ length: 4 }, () => open({ url: scratch.url, poolMax: 2 })));
    const [first, second] = gateways;
    await insertService(first!.db, { name: "shopping", url: "http://shopping/mcp", tools: [] });

    expect(gateways.map((gateway) => gateway.kind)).toEqual(["postgres", "postgres", "postgres", "postgres"]);
    expect((await findActiveService(second!.db, "shopping"))?.name).toBe("shopping");
    expect(await countAppliedMigrations(second!)).toBe(journal.entries.length);
  });
});

describe("databaseUrlFromParts", () => {
  test("is undefined without a host", () => {
    expect(databaseUrlFromParts({ database: "registry" })).toBeUndefined();
  });

  test("builds a URL from the host alone", () => {
    expect(databaseUrlFromParts({ host: "db" })).toBe("postgres://db");
  });

  test("encodes credentials so the URL parses back to them", () => {
    const url = databaseUrlFromParts({
      host: "db.internal",
      port: 5433,
      username: "gate way",
      password: "p@ss:w/rd?#%",
      database: "registry",
    });

    expect(url).toBe("postgres://gate%20way:p%40ss%3Aw%2Frd%3F%23%25@db.internal:5433/registry");
    const parsed = new URL(url!);
    expect(decodeURIComponent(parsed.username)).toBe("gate way");
    expect(decodeURIComponent(parsed.password)).toBe("p@ss:w/rd?#%");
    expect(parsed.hostname).toBe("db.internal");
  });

  test("brackets an IPv6 host", () => {
    expect(databaseUrlFromParts({ host: "::1", port: 5432, username: "postgres" })).toBe(
      "postgres://postgres@[::1]:5432",
    );
  });
});
