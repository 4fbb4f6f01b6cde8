import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serviceRecord } from "../../test/support/service-records.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import { insertService, listActiveServices, type ServiceRecord } from "../registry/queries.ts";
import { COLLECT_AFTER_RELOAD_TOOLS, createCatalog } from "./catalog.ts";
import { buildSnapshot } from "./catalog-snapshot.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await insertService(database.db, {
    name: "alpha",
    url: "http://alpha.test",
    tools: [{ name: "find", inputSchema: { type: "object" } }],
  });
});
afterAll(async () => {
  await database?.close();
});

describe("reloads", () => {
  test("a burst of newer versions causes at most one read besides the one running", async () => {
    let reads = 0;
    const catalog = createCatalog({
      loadServices: () => {
        reads++;
        return listActiveServices(database.db);
      },
    });
    const burst = Array.from({ length: 50 }, (_, i) => catalog.reload(100 + i));
    await Promise.all(burst);
    expect(reads).toBeLessThanOrEqual(2);
    expect(catalog.snapshot().version).toBe(149);
    expect(catalog.snapshot().tools.map((t) => t.name)).toEqual(["find"]);
  });

  test("an old or equal version reads nothing; a forced reload does", async () => {
    let reads = 0;
    const catalog = createCatalog({
      loadServices: () => {
        reads++;
        return listActiveServices(database.db);
      },
    });
    await catalog.reload(10);
    await catalog.reload(10);
    await catalog.reload(5);
    expect(reads).toBe(1);
    await catalog.reload(10, { force: true });
    expect(reads).toBe(2);
  });

  test("a failed read keeps the previous snapshot", async () => {
    let fail = false;
    const catalog = createCatalog({
      loadServices: () => (fail ? Promise.reject(new Error("database down")) : listActiveServices(database.db)),
    });
    await catalog.reload(1);
    fail = true;
    await expect(catalog.reload(2)).rejects.toThrow("database down");
    expect(catalog.snapshot().version).toBe(1);
    expect(catalog.snapshot().tools.length).toBe(1);
  });
});

describe("collection after reloads", () => {
  const toolNames = (count: number) => Array.from({ length: count }, (_, i) => `tool_${i}`);
  const large = [serviceRecord("large", toolNames(COLLECT_AFTER_RELOAD_TOOLS))];
  const small = [serviceRecord("small", toolNames(3))];

  test("the reloads of a large catalog end with one collection, however many were merged", async () => {
    let collections = 0;
    const catalog = createCatalog({ loadServices: async () => large, collectGarbage: () => collections++ });
    await Promise.all(Array.from({ length: 20 }, (_, i) => catalog.reload(1 + i)));
    expect(catalog.snapshot().tools).toHaveLength(COLLECT_AFTER_RELOAD_TOOLS);
    expect(collections).toBeLessThanOrEqual(2);
    expect(collections).toBeGreaterThanOrEqual(1);
    const settled = collections;
    await catalog.reload(21);
    expect(collections).toBe(settled + 1);
    await catalog.reload(21);
    expect(collections).toBe(settled + 1);
  });

  test("a small catalog is left to the collector; dropping a large one is not", async () => {
    let collections = 0;
    let services = small;
    const catalog = createCatalog({ loadServices: async () => services, collectGarbage: () => collections++ });
    await catalog.reload(1);
    await catalog.reload(2);
    expect(collections).toBe(0);
    services = large;
    await catalog.reload(3);
    services = small;
    await catalog.reload(4);
    expect(collections).toBe(2);
  });

  test("a failed read collects nothing", async () => {
    let collections = 0;
    let fail = false;
    const catalog = createCatalog({
      loadServices: async () => {
        if (fail) throw new Error("database down");
        return large;
      },
      collectGarbage: () => collections++,
    });
    await catalog.reload(1);
    fail = true;
    await expect(catalog.reload(2)).rejects.toThrow("database down");
    expect(collections).toBe(1);
  });
});

describe("tool names", () => {
  const service = serviceRecord;

  test("the first service keeps a bare name; later ones get <service>__<tool>", () => {
    const snapshot = buildSnapshot([service("a", ["get", "only-a"]), service("b", ["get", "only-b"])], 1);
    expect(snapshot.tools.map((t) => t.name)).toEqual(["get", "only-a", "b__get", "only-b"]);
    expect(snapshot.routes.get("b__get")).toEqual({ service: "b", tool: "get", name: "get" });
    expect(snapshot.routes.get("get")).toEqual({ service: "a", tool: "get", name: "get" });
  });

  test("names already exposed do not change when a service registers later", () => {
    const before = buildSnapshot([service("a", ["get"]), service("b", ["get"])], 1);
    const after = buildSnapshot([service("a", ["get"]), service("b", ["get"]), service("c", ["get", "new"])], 2);
    for (const [name, route] of before.routes) expect(after.routes.get(name)).toEqual(route);
    expect(after.routes.get("c__get")).toEqual({ service: "c", tool: "get", name: "get" });
  });

  test("definitions other than the name pass through untouched", () => {
    const rich = {
      name: "get",
      description: "d",
      inputSchema: { type: "object", properties: { x: { type: "string" } } },
      annotations: { readOnlyHint: true },
    };
    const snapshot = buildSnapshot(
      [
        { ...service("a", []), tools: [rich] },
        { ...service("b", []), tools: [rich] },
      ],
      1,
    );
    expect(snapshot.tools[0]).toBe(rich);
    expect(snapshot.tools[1]).toEqual({ ...rich, name: "b__get" });
  });
});

describe("prompts and resources", () => {
  const service = (
    name: string,
    lists: Partial<Pick<ServiceRecord, "resources" | "resourceTemplates" | "prompts">>,
  ): ServiceRecord => ({
    ...serviceRecord(name, []),
    ...lists,
  });

  test("prompts are named like tools: the first service keeps the bare name, later ones get <service>__<prompt>", () => {
    const greet = { name: "greet", arguments: [{ name: "who", required: true }] };
    const snapshot = buildSnapshot(
      [service("a", { prompts: [greet] }), service("b", { prompts: [greet, { name: "only-b" }] })],
      1,
    );
    expect(snapshot.prompts.map((p) => p.name)).toEqual(["greet", "b__greet", "only-b"]);
    expect(snapshot.prompts[0]).toBe(greet);
    expect(snapshot.prompts[1]).toEqual({ ...greet, name: "b__greet" });
    expect(snapshot.promptRoutes.get("b__greet")).toEqual({ service: "b", prompt: "greet" });
    expect(snapshot.promptRoutes.get("greet")).toEqual({ service: "a", prompt: "greet" });
  });

  test("a URI listed by two services belongs to the earlier one and is listed once", () => {
    const readme = { uri: "docs://readme", name: "readme" };
    const snapshot = buildSnapshot(
      [
        service("a", { resources: [readme] }),
        service("b", {
          resources: [
            { ...readme, name: "b's readme" },
            { uri: "docs://b", name: "b" },
          ],
        }),
      ],
      1,
    );
    expect(snapshot.resources).toEqual([readme, { uri: "docs://b", name: "b" }]);
    expect(snapshot.resourceOwner("docs://readme")).toBe("a");
    expect(snapshot.resourceOwner("docs://b")).toBe("b");
  });

  test("an unlisted URI goes to the first service whose template matches it", () => {
    const snapshot = buildSnapshot(
      [
        service("a", {
          resources: [{ uri: "notes://pinned", name: "pinned" }],
          resourceTemplates: [{ uriTemplate: "users://{id}/profile", name: "profile" }],
        }),
        service("b", {
          resourceTemplates: [
            { uriTemplate: "users://{id}/profile", name: "duplicate" },
            { uriTemplate: "notes://{slug}", name: "note" },
            { uriTemplate: "broken://{unclosed", name: "broken" },
          ],
        }),
      ],
      1,
    );
    expect(snapshot.resourceTemplates.map((t) => t.name)).toEqual(["profile", "note"]);
    expect(snapshot.resourceOwner("users://42/profile")).toBe("a");
    expect(snapshot.resourceOwner("notes://pinned")).toBe("a");
    expect(snapshot.resourceOwner("notes://other")).toBe("b");
    expect(snapshot.resourceOwner("users://42/settings")).toBeUndefined();
    expect(snapshot.resourceOwner("broken://x")).toBeUndefined();
  });
});
