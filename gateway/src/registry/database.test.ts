import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, sql } from "drizzle-orm";
import { pgSchema, serial } from "drizzle-orm/pg-core";
import {
  createScratchDatabase,
  createTestDatabase,
  testDatabaseKinds,
  testDatabaseUrl,
} from "../../test/support/test-database.ts";
import { createDatabase, type RegistryDatabase } from "./database.ts";
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

  test("runs embedded Postgres with small shared buffers, which it would otherwise hold resident whole", async () => {
    const database = await open({ pgliteDir: "memory://" });
    const result = (await database.db.execute(sql`show shared_buffers`)) as { rows: unknown[] };
    expect(result.rows).toEqual([{ shared_buffers: "4MB" }]);
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
