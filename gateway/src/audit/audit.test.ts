/**
 * The audit log: admin changes and tool calls (both MCP paths) become rows on both databases, without a
 * secret in them; GET /audit filters and pages them and refuses bad queries; the writer batches, drops
 * rather than grows, flushes on close, and deletes rows past the retention.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import { eventuallyAsync } from "../../test/support/eventually.ts";
import {
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_API_KEY,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { sampleValue } from "../../test/support/metrics-samples.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { silentLogger } from "../logger.ts";
import { createRequestContext } from "../observability/request-context.ts";
import { type AuditSettings, createAuditLog } from "./audit-log.ts";
import { insertAuditEvents } from "./audit-queries.ts";
import { auditEvents } from "./audit-schema.ts";

const BACKEND_SECRET = "backend-secret-7f3a";
const SECRETS_KEY = "audit-test-secrets-key-5b1e0c";
// Writes only when a test says so (GET /audit, close, a full batch), so each test sees when rows arrive.
const MANUAL_FLUSH: AuditSettings = { batchSize: 100, flushIntervalMs: 60_000, bufferSize: 1000, retentionDays: 0 };

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
async function auditPage(gw: RunningGateway, query = ""): Promise<any> {
  const response = await fetch(`${gw.url}/audit${query}`, { headers: { "X-API-Key": TEST_API_KEY } });
  expect(response.status).toBe(200);
  return response.json();
}

for (const kind of testDatabaseKinds()) {
  describe(`audit rows on ${kind}`, () => {
    let database: TestDatabase;
    let shopping: BackendProcess;
    let gw: RunningGateway;
    /** A caller of its own: an API key made through the admin API. */
    let alice: { id: string; secret: string };
    let versions: VersionStore;

    // One hook each, so that a slow start of one on a busy machine does not eat into the others' time.
    beforeAll(async () => {
      database = await createTestDatabase({ kind });
    });
    beforeAll(async () => {
      shopping = await startBackend("shopping");
    });
    beforeAll(async () => {
      versions = await createTestVersionStore();
      gw = await startGateway({
        database,
        versionStore: versions,
        settings: { audit: MANUAL_FLUSH, secretsKey: SECRETS_KEY },
      });
      const created = await gw.admin("POST", "/keys", { name: "alice", scopes: ["mcp:tools", "mcp:admin"] });
      const { key, secret } = (await created.json()) as { key: { id: string }; secret: string };
      alice = { id: key.id, secret };
    });
    afterAll(async () => {
      await gw?.stop();
      await shopping?.stop();
      await versions?.close();
      await database?.close();
    });

    test("record who registered, updated and deleted a service, with summaries before and after", async () => {
      const headers = { "X-Backend-Key": BACKEND_SECRET };
      expect((await gw.admin("POST", "/register", { name: "shop", url: shopping.url, headers })).status).toBe(201);
      expect((await gw.admin("PUT", "/update/shop", {})).status).toBe(200);
      expect((await gw.admin("DELETE", "/delete/shop")).status).toBe(200);

      const page = await auditPage(gw, "?kind=admin");
      const events = page.events.filter((e: { action: string }) => e.action.startsWith("service."));
      expect(events.map((e: { action: string }) => e.action)).toEqual([
        "service.delete",
        "service.update",
        "service.register",
      ]);
      const [deleted, updated, registered] = events;
      const summary = {
        url: shopping.url,
        tools: 2,
        resources: 0,
        resourceTemplates: 0,
        prompts: 0,
        headers: ["X-Backend-Key"],
      };
      expect(registered).toMatchObject({
        kind: "admin",
        actor: "api-key:admin",
        target: "shop",
        service: "shop",
        after: summary,
      });
      expect(registered.before).toBeUndefined();
      expect(registered.requestId).toBeString();
      expect(updated).toMatchObject({ before: summary, after: summary });
      expect(deleted).toMatchObject({ before: summary });
      expect(deleted.after).toBeUndefined();
    });

    test("record API keys created and revoked and virtual servers changed, never a key's secret", async () => {
      const created = await gw.admin("POST", "/keys", { name: "short-lived", scopes: ["mcp:tools"] });
      const { key, secret } = (await created.json()) as { key: { id: string }; secret: string };
      expect((await gw.admin("DELETE", `/keys/${key.id}`)).status).toBe(200);
      const server = { name: "audited", services: ["shop"], allowedScopes: ["team"] };
      expect((await gw.admin("POST", "/virtual-servers", server)).status).toBe(201);
      expect((await gw.admin("PUT", "/virtual-servers/audited", { services: [] })).status).toBe(200);
      expect((await gw.admin("DELETE", "/virtual-servers/audited")).status).toBe(200);

      const page = await auditPage(gw, "?kind=admin&limit=50");
      const mine = page.events.filter((e: { target?: string }) => e.target === key.id || e.target === "audited");
      expect(mine.map((e: { action: string }) => e.action)).toEqual([
        "virtual-server.delete",
        "virtual-server.update",
        "virtual-server.create",
        "api-key.revoke",
        "api-key.create",
      ]);
      expect(mine.every((e: { actor: string }) => e.actor === "api-key:admin")).toBe(true);
      expect(mine[1]).toMatchObject({ before: { services: ["shop"] }, after: { services: [] } });
      expect(mine[4].after).toMatchObject({ name: "short-lived", scopes: ["mcp:tools"] });
      expect(JSON.stringify(page)).not.toContain(secret);
    });

    test("record every tool call on the fast path and the SDK path, with the caller's identity", async () => {
      expect((await gw.admin("POST", "/register", { name: "shopping-service", url: shopping.url })).status).toBe(201);
      const client = await gw.client(alice.secret);
      await client.callTool({ name: "searchProducts", arguments: { query: "chair" } });
      // A progress token sends the call down the SDK path.
      await client.callTool({ name: "getProductById", arguments: { id: "nope" } }, undefined, { onprogress: () => {} });

      const { events } = await auditPage(gw, `?kind=tool_call&identity=${alice.id}`);
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        actor: alice.id,
        action: "tools/call",
        service: "shopping-service",
        tool: "getProductById",
        outcome: "tool_error",
      });
      expect(events[1]).toMatchObject({
        actor: alice.id,
        service: "shopping-service",
        tool: "searchProducts",
        outcome: "ok",
      });
      for (const event of events) {
        expect(event.durationMs).toBeNumber();
        expect(event.requestId).toBeString();
      }
    });

    test("hold no secret, no arguments and no results", async () => {
      await gw.gateway.audit.flush();
      const stored = JSON.stringify(await database.db.select().from(auditEvents));
      expect(stored).toContain("searchProducts");
      for (const secret of [BACKEND_SECRET, SECRETS_KEY, TEST_API_KEY, TEST_BEARER, alice.secret, "chair", "Aeron"]) {
        expect(stored).not.toContain(secret);
      }
    });

    test("store every field as it was given, in order: quotes, commas, line breaks, empty strings and nulls", async () => {
      const at = new Date("2026-01-02T03:04:05.678Z");
      const rows = [
        {
          at,
          kind: "admin" as const,
          actor: 'a "quoted", comma\nand line\r\nbreak',
          action: "service.update",
          target: "",
          service: "ünïcødé ✓",
          tool: "\\N",
          outcome: "ok",
          durationMs: 0,
          requestId: "req,1",
          before: { name: 'x "y"', list: [1, "a,b"], nested: { empty: "" } },
          after: {},
        },
        { at, kind: "tool_call" as const, actor: "system", action: "tools/call", durationMs: 7 },
      ];
      const marker = `round-trip-${kind}-${crypto.randomUUID()}`;
      await insertAuditEvents(
        database.db,
        rows.map((row) => ({ ...row, action: `${marker} ${row.action}` })),
      );
      const stored = (await database.db.select().from(auditEvents).orderBy(auditEvents.id)).filter((row) =>
        row.action.startsWith(marker),
      );
      expect(stored.map(({ id: _, ...row }) => row)).toEqual(
        rows.map((row) => ({
          target: null,
          service: null,
          tool: null,
          outcome: null,
          requestId: null,
          before: null,
          after: null,
          ...row,
          action: `${marker} ${row.action}`,
        })),
      );
    });
  });
}

describe("GET /audit", () => {
  let database: TestDatabase;
  let gw: RunningGateway;
  let versions: VersionStore;
  const start = Date.parse("2025-03-01T00:00:00Z");

  beforeAll(async () => {
    database = await createTestDatabase();
    versions = await createTestVersionStore();
    gw = await startGateway({ database, versionStore: versions, settings: { audit: MANUAL_FLUSH } });
    // One event a minute, alternating between two tools.
    await insertAuditEvents(
      database.db,
      Array.from({ length: 7 }, (_, i) => ({
        at: new Date(start + i * 60_000),
        kind: "tool_call" as const,
        actor: i < 5 ? "alice" : "bob",
        action: "tools/call",
        service: "shop",
        tool: i % 2 === 0 ? "search" : "buy",
        outcome: "ok",
      })),
    );
  });
  afterAll(async () => {
    await gw?.stop();
    await versions?.close();
    await database?.close();
  });

  test("pages through every match once, newest first, with an opaque cursor", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await auditPage(gw, `?identity=alice&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e: { at: string }) => e.at));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = [4, 3, 2, 1, 0].map((i) => new Date(start + i * 60_000).toISOString());
    expect(seen).toEqual(expected);
  });

  test("filters by tool, service, kind and time", async () => {
    const at = (i: number) => new Date(start + i * 60_000).toISOString();
    const tools = await auditPage(gw, "?tool=buy");
    expect(tools.events.map((e: { at: string }) => e.at)).toEqual([at(5), at(3), at(1)]);
    const window = await auditPage(gw, `?service=shop&since=${at(2)}&until=${at(4)}`);
    expect(window.events.map((e: { at: string }) => e.at)).toEqual([at(4), at(3), at(2)]);
    expect((await auditPage(gw, "?kind=admin")).events).toEqual([]);
    expect((await auditPage(gw, "?service=other")).events).toEqual([]);
  });

  test.each([
    ["?kind=nope", "kind"],
    ["?limit=0", "limit"],
    ["?limit=many", "limit"],
    ["?since=yesterday", "since"],
    ["?cursor=not-a-cursor", "cursor"],
    ["?actor=alice", "(body)"],
  ])("answers %s with 400 and the issue", async (query, path) => {
    const response = await fetch(`${gw.url}/audit${query}`, { headers: { "X-API-Key": TEST_API_KEY } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("bad_request");
    expect(body.error.issues.map((i) => i.path)).toContain(path);
  });

  test("needs the admin API key", async () => {
    expect((await fetch(`${gw.url}/audit`)).status).toBe(401);
    const withToken = await fetch(`${gw.url}/audit`, { headers: { Authorization: `Bearer ${TEST_BEARER}` } });
    expect(withToken.status).toBe(401);
  });
});

describe("the audit writer", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  const rowCount = async (actor: string) =>
    (await database.db.select().from(auditEvents)).filter((row) => row.actor === actor).length;
  const writer = (settings: Partial<AuditSettings>, metrics = new Registry()) =>
    createAuditLog({
      db: database.db,
      settings: { ...MANUAL_FLUSH, ...settings },
      requestContext: createRequestContext(),
      log: silentLogger,
      metrics,
      pruneIntervalMs: 20,
    });
  const event = (actor: string) => ({ kind: "tool_call" as const, action: "tools/call", actor, tool: "t" });

  test("writes when a batch is full, and what is left on close", async () => {
    const audit = writer({ batchSize: 3 });
    audit.record(event("batcher"));
    audit.record(event("batcher"));
    await Bun.sleep(50);
    expect(await rowCount("batcher")).toBe(0);
    audit.record(event("batcher"));
    await eventuallyAsync(async () => (await rowCount("batcher")) === 3);
    audit.record(event("batcher"));
    await audit.close();
    expect(await rowCount("batcher")).toBe(4);
  });

  test("writes on its interval", async () => {
    const audit = writer({ flushIntervalMs: 20 });
    audit.record(event("ticker"));
    await eventuallyAsync(async () => (await rowCount("ticker")) === 1);
    await audit.close();
  });

  test("drops events with a metric when its buffer is full", async () => {
    const metrics = new Registry();
    const audit = writer({ bufferSize: 2 }, metrics);
    for (let i = 0; i < 5; i++) audit.record(event("overflow"));
    await audit.close();
    expect(await rowCount("overflow")).toBe(2);
    const dropped = sampleValue(await metrics.metrics(), "mcp_gateway_audit_events_dropped_total", {
      reason: "buffer_full",
    });
    expect(dropped).toBe(3);
  });

  test("deletes rows older than the retention", async () => {
    const day = 24 * 60 * 60 * 1000;
    await insertAuditEvents(database.db, [
      { ...event("retention-old"), at: new Date(Date.now() - 10 * day) },
      { ...event("retention-new"), at: new Date(Date.now() - 5 * day) },
    ]);
    const audit = writer({ retentionDays: 7 });
    await eventuallyAsync(async () => (await rowCount("retention-old")) === 0);
    expect(await rowCount("retention-new")).toBe(1);
    await audit.close();
  });
});
