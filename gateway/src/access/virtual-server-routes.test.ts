/**
 * `/virtual-servers` on both stores: the happy path, 404 and 409, bad input (400 with the issues, and
 * nothing stored or announced), and the admin API's roles (a viewer reads, and every write route refuses
 * it with 403).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const VIEWER_KEY = "test-viewer-key";

describe.each(testDatabaseKinds())("/virtual-servers on %s", (kind) => {
  let database: TestDatabase;
  let versions: VersionStore;
  let gw: RunningGateway;

  beforeAll(async () => {
    database = await createTestDatabase({ kind });
    versions = await createTestVersionStore();
    gw = await startGateway({ database, versionStore: versions, settings: { viewerApiKey: VIEWER_KEY } });
  });
  afterAll(async () => {
    await gw?.stop();
    await versions?.close();
    await database?.close();
  });

  const send = (method: string, path: string, body: string | undefined, key: string | undefined) =>
    fetch(`${gw.url}${path}`, {
      method,
      headers: {
        ...(key === undefined ? {} : { "X-API-Key": key }),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body,
    });

  test("create, list, read, replace and delete", async () => {
    const created = await gw.admin("POST", "/virtual-servers", { name: "crud", services: ["a"], tools: ["x*"] });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      virtualServer: {
        name: "crud",
        path: "/servers/crud/mcp",
        services: ["a"],
        tools: ["x*"],
        resources: [],
        allowedScopes: [],
        mode: "direct",
      },
    });
    expect((await gw.admin("POST", "/virtual-servers", { name: "crud" })).status).toBe(409);
    const list = (await (await gw.admin("GET", "/virtual-servers")).json()) as { virtualServers: { name: string }[] };
    expect(list.virtualServers.map((s) => s.name)).toContain("crud");
    const replaced = await gw.admin("PUT", "/virtual-servers/crud", { allowedRoles: ["ops"], mode: "search" });
    expect(await replaced.json()).toMatchObject({
      virtualServer: { services: [], tools: [], allowedRoles: ["ops"], mode: "search" },
    });
    expect(await (await gw.admin("GET", "/virtual-servers/crud")).json()).toMatchObject({
      virtualServer: { allowedRoles: ["ops"], mode: "search" },
    });
    expect((await gw.admin("DELETE", "/virtual-servers/crud")).status).toBe(200);
    for (const method of ["GET", "DELETE"]) expect((await gw.admin(method, "/virtual-servers/crud")).status).toBe(404);
    expect((await gw.admin("PUT", "/virtual-servers/crud", {})).status).toBe(404);
    expect(gw.gateway.catalog.snapshot().virtualServers.map((s) => s.name)).not.toContain("crud");
  });

  const bad: { name: string; method: string; path: string; body?: string; says: string }[] = [
    { name: "missing name", method: "POST", path: "/virtual-servers", body: "{}", says: "name" },
    {
      name: "bad name",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "Bad Name" }),
      says: "lowercase",
    },
    {
      name: "extra field",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "ok", admin: true }),
      says: "admin",
    },
    {
      name: "tools not a list",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "ok", tools: "x" }),
      says: "tools",
    },
    {
      name: "empty pattern",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "ok", prompts: [""] }),
      says: "empty",
    },
    {
      name: "bad service name",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "ok", services: ["A B"] }),
      says: "services.0",
    },
    {
      name: "scope with whitespace",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "ok", allowedScopes: ["a b"] }),
      says: "whitespace",
    },
    {
      name: "unknown mode",
      method: "POST",
      path: "/virtual-servers",
      body: JSON.stringify({ name: "ok", mode: "fuzzy" }),
      says: "mode",
    },
    { name: "not JSON", method: "POST", path: "/virtual-servers", body: "{", says: "not valid JSON" },
    { name: "no body", method: "POST", path: "/virtual-servers", body: "", says: "JSON" },
    {
      name: "replace with a name",
      method: "PUT",
      path: "/virtual-servers/base",
      body: JSON.stringify({ name: "other" }),
      says: "name",
    },
    {
      name: "replace with a bad list",
      method: "PUT",
      path: "/virtual-servers/base",
      body: JSON.stringify({ allowedRoles: [1] }),
      says: "allowedRoles.0",
    },
    { name: "bad name in the path (GET)", method: "GET", path: "/virtual-servers/BAD", says: "lowercase" },
    {
      name: "bad name in the path (PUT)",
      method: "PUT",
      path: "/virtual-servers/BAD",
      body: "{}",
      says: "lowercase",
    },
    { name: "bad name in the path (DELETE)", method: "DELETE", path: "/virtual-servers/BAD", says: "lowercase" },
  ];

  test("bad input is a 400 with the issues, and nothing is stored or announced", async () => {
    expect((await gw.admin("POST", "/virtual-servers", { name: "base", tools: ["keep"] })).status).toBe(201);
    const before = JSON.stringify(await (await gw.admin("GET", "/virtual-servers")).json());
    const version = await versions.current();
    for (const c of bad) {
      const response = await send(c.method, c.path, c.body, "test-api-key");
      const body = (await response.json()) as { error: { code: string; message: string; issues?: unknown[] } };
      expect({ case: c.name, status: response.status, code: body.error.code }).toEqual({
        case: c.name,
        status: 400,
        code: "bad_request",
      });
      expect(JSON.stringify(body.error)).toContain(c.says);
    }
    expect(JSON.stringify(await (await gw.admin("GET", "/virtual-servers")).json())).toBe(before);
    expect(await versions.current()).toBe(version);
  });

  test("the viewer key reads; every write route answers it 403, and no key 401", async () => {
    expect((await send("GET", "/virtual-servers", undefined, VIEWER_KEY)).status).toBe(200);
    expect((await send("GET", "/services", undefined, VIEWER_KEY)).status).toBe(200);
    const writes: [string, string, string?][] = [
      ["POST", "/virtual-servers", JSON.stringify({ name: "viewer-made" })],
      ["PUT", "/virtual-servers/base", "{}"],
      ["DELETE", "/virtual-servers/base"],
      ["POST", "/register", JSON.stringify({ name: "svc", url: "http://127.0.0.1:1" })],
      ["PUT", "/update/svc", "{}"],
      ["DELETE", "/delete/svc"],
    ];
    for (const [method, path, body] of writes) {
      const viewer = await send(method, path, body, VIEWER_KEY);
      expect({ path, method, status: viewer.status, body: await viewer.json() }).toMatchObject({
        path,
        method,
        status: 403,
        body: { error: { code: "forbidden", message: expect.stringContaining("viewer") } },
      });
      expect((await send(method, path, body, undefined)).status).toBe(401);
    }
    expect((await send("GET", "/virtual-servers", undefined, "wrong")).status).toBe(401);
    expect((await gw.admin("GET", "/virtual-servers/base")).status).toBe(200);
  });
});
