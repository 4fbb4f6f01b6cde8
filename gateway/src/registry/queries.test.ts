import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { and, count, eq, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import {
  findActiveService,
  insertService,
  listActiveServices,
  readChangeCount,
  replaceServiceTools,
  ServiceExistsError,
  ServiceMovedError,
  softDeleteService,
  storePulledLists,
  type ToolDefinition,
} from "./queries.ts";
import { registryChanges, services, serviceTools } from "./schema.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const getProduct: ToolDefinition = {
  name: "get_product",
  description: "Look up one product by id",
  inputSchema: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
};

const searchUsers: ToolDefinition = { name: "search_users", inputSchema: { type: "object" } };

// Storage tests run on the embedded database, and on the real server too when DATABASE_URL names one.
describe.each(testDatabaseKinds())("registry queries on %s", (kind) => {
  let database: TestDatabase;
  let queries: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase({ kind, onQuery: (query) => queries.push(query) });
  });

  beforeEach(async () => {
    await database.db.execute(sql`truncate ${serviceTools}, ${services}, ${registryChanges} cascade`);
    queries = [];
  });

  afterAll(async () => {
    await database.close();
  });

  async function countRows(table: typeof services | typeof serviceTools, where?: SQL): Promise<number> {
    const [row] = await database.db.select({ rows: count() }).from(table).where(where);
    return row?.rows ?? 0;
  }

  describe("insertService", () => {
    test("stores a service that findActiveService returns", async () => {
      const inserted = await insertService(database.db, {
        name: "shopping",
        url: "http://shopping:3001/mcp",
        tools: [getProduct],
      });

      const found = await findActiveService(database.db, "shopping");

      expect(found).toEqual(inserted);
      expect(found).toMatchObject({
        name: "shopping",
        url: "http://shopping:3001/mcp",
        tools: [getProduct],
        secretHeaders: null,
      });
      expect(found?.createdAt).toBeInstanceOf(Date);
    });

    test("keeps encrypted secret headers", async () => {
      await insertService(database.db, { name: "user", url: "http://user/mcp", tools: [], secretHeaders: "v1:abc" });

      expect((await findActiveService(database.db, "user"))?.secretHeaders).toBe("v1:abc");
    });

    test("refuses a name an active service holds, and writes nothing", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [getProduct] });

      const second = insertService(database.db, { name: "shopping", url: "http://b/mcp", tools: [] });

      await expect(second).rejects.toBeInstanceOf(ServiceExistsError);
      expect(await countRows(services)).toBe(1);
      expect(await countRows(serviceTools)).toBe(1);
      expect((await findActiveService(database.db, "shopping"))?.url).toBe("http://a/mcp");
    });

    test("accepts a name again once its service is deleted", async () => {
      const first = await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [getProduct] });
      await softDeleteService(database.db, "shopping");

      const second = await insertService(database.db, { name: "shopping", url: "http://b/mcp", tools: [searchUsers] });

      expect(second.id).not.toBe(first.id);
      expect(await findActiveService(database.db, "shopping")).toEqual(second);
    });
  });

  describe("tools", () => {
    const nested: ToolDefinition = {
      name: "create_order",
      title: "Create an order — «ünïcödé» 🛒",
      description: 'Quotes "inside", a backslash \\ and a newline\n',
      inputSchema: {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: {
          lines: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              properties: {
                sku: { type: "string", pattern: "^[A-Z]{3}-\\d+$" },
                quantity: { type: "integer", maximum: 1e6 },
              },
              required: ["sku", "quantity"],
              additionalProperties: false,
            },
          },
          note: { anyOf: [{ type: "string" }, { type: "null" }], default: null },
          express: { type: "boolean", default: false },
          discount: { type: "number", exclusiveMinimum: 0, multipleOf: 0.25 },
        },
        required: ["lines"],
      },
      outputSchema: { type: "object", properties: { orderId: { type: "string", format: "uuid" } } },
      annotations: { readOnlyHint: false, destructiveHint: false },
      _meta: { "vendor.example/key": [1, "two", { three: [null] }] },
    };

    test("come back from JSONB exactly as stored", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [nested, getProduct] });

      const [listed] = await listActiveServices(database.db);

      expect(listed?.tools).toEqual([nested, getProduct]);
    });

    test("are stored as a JSON array, not as an encoded string", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [nested] });

      const [row] = await database.db
        .select({
          kind: sql<string>`jsonb_typeof(${serviceTools.tools})`,
          name: sql<string>`${serviceTools.tools}->0->>'name'`,
        })
        .from(serviceTools);

      expect(row).toEqual({ kind: "array", name: "create_order" });
    });
  });

  describe("resources, resource templates and prompts", () => {
    const capabilities = {
      resources: [{ uri: "docs://readme", name: "readme", mimeType: "text/markdown" }],
      resourceTemplates: [{ uriTemplate: "users://{id}/profile", name: "profile" }],
      prompts: [{ name: "greet", arguments: [{ name: "who", required: true }] }],
    };

    test("are stored beside the tools and listed with them in one query", async () => {
      const inserted = await insertService(database.db, {
        name: "shopping",
        url: "http://a/mcp",
        tools: [getProduct],
        ...capabilities,
      });
      queries.length = 0;

      const [listed] = await listActiveServices(database.db);

      expect(listed).toEqual(inserted);
      expect(listed).toMatchObject({ tools: [getProduct], ...capabilities });
      expect(queries).toHaveLength(1);
    });

    test("are empty lists when a write leaves them out", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [getProduct] });

      expect(await findActiveService(database.db, "shopping")).toMatchObject({
        resources: [],
        resourceTemplates: [],
        prompts: [],
      });
    });

    test("are replaced together with the tools", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [getProduct], ...capabilities });

      const replaced = await replaceServiceTools(database.db, "shopping", {
        tools: [searchUsers],
        prompts: [{ name: "other" }],
      });

      expect(replaced).toMatchObject({
        tools: [searchUsers],
        resources: [],
        resourceTemplates: [],
        prompts: [{ name: "other" }],
      });
      expect(await findActiveService(database.db, "shopping")).toEqual(replaced);
    });
  });

  describe("listActiveServices", () => {
    test("lists active services, oldest registration first, in one query", async () => {
      for (const name of ["user", "shopping", "billing", "search"]) {
        await insertService(database.db, { name, url: `http://${name}/mcp`, tools: [{ name: `${name}_tool` }] });
      }
      await softDeleteService(database.db, "billing");
      await replaceServiceTools(database.db, "user", { tools: [searchUsers] });
      queries.length = 0;

      const listed = await listActiveServices(database.db);

      expect(listed.map((service) => service.name)).toEqual(["user", "shopping", "search"]);
      expect(listed[0]?.tools).toEqual([searchUsers]);
      expect(queries).toHaveLength(1);
    });

    test("is empty on a fresh registry", async () => {
      expect(await listActiveServices(database.db)).toEqual([]);
    });
  });

  describe("replaceServiceTools", () => {
    test("swaps the tool list and keeps the old one as history", async () => {
      const inserted = await insertService(database.db, {
        name: "shopping",
        url: "http://a/mcp",
        tools: [getProduct],
        secretHeaders: "v1:old",
      });

      const replaced = await replaceServiceTools(database.db, "shopping", { tools: [searchUsers] });

      expect(replaced).toMatchObject({
        id: inserted.id,
        url: "http://a/mcp",
        tools: [searchUsers],
        secretHeaders: "v1:old",
      });
      expect(replaced!.updatedAt.getTime()).toBeGreaterThanOrEqual(inserted.updatedAt.getTime());
      expect(await findActiveService(database.db, "shopping")).toEqual(replaced);
      expect(await countRows(serviceTools)).toBe(2);
      expect(await countRows(serviceTools, isNull(serviceTools.deletedAt))).toBe(1);
    });

    test("changes the url and secret headers when given", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [], secretHeaders: "v1:old" });

      await replaceServiceTools(database.db, "shopping", { url: "http://b/mcp", tools: [], secretHeaders: null });

      expect(await findActiveService(database.db, "shopping")).toMatchObject({
        url: "http://b/mcp",
        secretHeaders: null,
      });
    });

    test("returns undefined for a name no active service holds", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [] });
      await softDeleteService(database.db, "shopping");

      expect(await replaceServiceTools(database.db, "shopping", { tools: [getProduct] })).toBeUndefined();
      expect(await replaceServiceTools(database.db, "unknown", { tools: [getProduct] })).toBeUndefined();
      expect(await countRows(serviceTools, isNull(serviceTools.deletedAt))).toBe(0);
    });
  });

  describe("storePulledLists", () => {
    const lists = {
      tools: [getProduct],
      resources: [{ uri: "file:///a", name: "a", mimeType: "text/plain" }],
      prompts: [{ name: "greet", arguments: [{ name: "who", required: true }] }],
    };
    /** The same definitions with every object's keys in the opposite order, as a backend may send them. */
    const reordered = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reordered)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reordered(v)]),
            )
          : value;

    test("writes and counts nothing when the lists and revision are those stored, in whatever key order", async () => {
      const inserted = await insertService(database.db, {
        name: "shop",
        url: "http://a/mcp",
        revision: "r1",
        ...lists,
      });
      const before = await readChangeCount(database.db);

      const pulled = await storePulledLists(database.db, "shop", {
        expectedUrl: "http://a/mcp",
        revision: "r1",
        ...(reordered(lists) as typeof lists),
      });

      expect(pulled).toEqual({ changed: false });
      expect(await findActiveService(database.db, "shop")).toEqual(inserted);
      expect(await readChangeCount(database.db)).toBe(before);
      expect(await countRows(serviceTools)).toBe(1);
    });

    test("stores and counts lists that differ, or the same lists under another revision", async () => {
      await insertService(database.db, { name: "shop", url: "http://a/mcp", revision: "r1", ...lists });
      const before = await readChangeCount(database.db);

      const grown = await storePulledLists(database.db, "shop", {
        revision: "r1",
        ...lists,
        tools: [getProduct, searchUsers],
      });
      const moved = await storePulledLists(database.db, "shop", {
        revision: "r2",
        ...lists,
        tools: [getProduct, searchUsers],
      });

      expect(grown).toMatchObject({ changed: true, service: { tools: [getProduct, searchUsers], revision: "r1" } });
      expect(moved).toMatchObject({ changed: true, service: { revision: "r2" } });
      expect(await findActiveService(database.db, "shop")).toMatchObject({ revision: "r2", url: "http://a/mcp" });
      expect(await readChangeCount(database.db)).toBe(before + 2);
      expect(await countRows(serviceTools)).toBe(3);
    });

    test("refuses lists pulled at a URL the service has left, and knows no deleted service", async () => {
      await insertService(database.db, { name: "shop", url: "http://new/mcp", revision: null, ...lists });
      await insertService(database.db, { name: "gone", url: "http://gone/mcp", tools: [] });
      await softDeleteService(database.db, "gone");

      const stale = storePulledLists(database.db, "shop", { expectedUrl: "http://old/mcp", revision: null, ...lists });

      await expect(stale).rejects.toBeInstanceOf(ServiceMovedError);
      expect(await storePulledLists(database.db, "gone", { revision: null, tools: [] })).toBeUndefined();
    });
  });

  describe("softDeleteService", () => {
    test("hides the service and its tools but keeps the rows", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [getProduct] });

      expect(await softDeleteService(database.db, "shopping")).toBe(true);

      expect(await findActiveService(database.db, "shopping")).toBeUndefined();
      expect(await listActiveServices(database.db)).toEqual([]);
      expect(await countRows(services, isNotNull(services.deletedAt))).toBe(1);
      expect(await countRows(serviceTools, isNotNull(serviceTools.deletedAt))).toBe(1);
    });

    test("returns false when there is nothing to delete", async () => {
      await insertService(database.db, { name: "shopping", url: "http://a/mcp", tools: [] });
      await softDeleteService(database.db, "shopping");

      expect(await softDeleteService(database.db, "shopping")).toBe(false);
      expect(await softDeleteService(database.db, "unknown")).toBe(false);
    });
  });

  describe("conditional replacement and the change count", () => {
    test("a replacement expecting a URL the service has left writes nothing; every write counts once", async () => {
      expect(await readChangeCount(database.db)).toBe(0);
      await insertService(database.db, { name: "mover", url: "http://old/mcp", tools: [getProduct] });
      await replaceServiceTools(database.db, "mover", { url: "http://new/mcp", tools: [searchUsers] });

      const stale = replaceServiceTools(database.db, "mover", { expectedUrl: "http://old/mcp", tools: [getProduct] });

      await expect(stale).rejects.toBeInstanceOf(ServiceMovedError);
      expect(await findActiveService(database.db, "mover")).toMatchObject({
        url: "http://new/mcp",
        tools: [searchUsers],
      });
      await softDeleteService(database.db, "mover");
      expect(await readChangeCount(database.db)).toBe(3);
    });
  });

  describe("concurrent writes", () => {
    test("leave at most one active service per name and no orphaned tool rows", async () => {
      const names = ["alpha", "beta", "gamma", "delta", "epsilon"];
      const operations = Array.from({ length: 50 }, (_, index) => {
        const name = names[index % names.length]!;
        switch (index % 3) {
          case 0:
            return insertService(database.db, {
              name,
              url: `http://${name}/${index}`,
              tools: [{ name: `tool_${index}` }],
            });
          case 1:
            return softDeleteService(database.db, name);
          default:
            return replaceServiceTools(database.db, name, { tools: [{ name: `tool_${index}` }] });
        }
      });

      const results = await Promise.allSettled(operations);

      const unexpected = results.filter(
        (result) => result.status === "rejected" && !(result.reason instanceof ServiceExistsError),
      );
      expect(unexpected).toEqual([]);
      const duplicated = await database.db
        .select({ name: services.name })
        .from(services)
        .where(isNull(services.deletedAt))
        .groupBy(services.name)
        .having(sql`count(*) > 1`);
      expect(duplicated).toEqual([]);
      const orphans = await database.db
        .select({ id: serviceTools.id })
        .from(serviceTools)
        .innerJoin(services, eq(services.id, serviceTools.serviceId))
        .where(and(isNull(serviceTools.deletedAt), isNotNull(services.deletedAt)));
      expect(orphans).toEqual([]);
      const activeTools = await database.db
        .select({ serviceId: services.id, rows: count(serviceTools.id) })
        .from(services)
        .leftJoin(serviceTools, and(eq(serviceTools.serviceId, services.id), isNull(serviceTools.deletedAt)))
        .where(isNull(services.deletedAt))
        .groupBy(services.id);
      expect(activeTools.filter((service) => service.rows !== 1)).toEqual([]);
      const listed = await listActiveServices(database.db);
      expect(new Set(listed.map((service) => service.name)).size).toBe(listed.length);
    });
  });

  describe("onQuery", () => {
    test("sees the SQL Drizzle sends", async () => {
      await findActiveService(database.db, "shopping");

      expect(queries).toHaveLength(1);
      expect(queries[0]).toContain('from "services"');
    });
  });
});
