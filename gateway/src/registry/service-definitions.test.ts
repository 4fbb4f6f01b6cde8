/**
 * What a backend lists is checked at registration: invalid definitions are left out (and reported) so
 * SDK clients keep getting everyone else's tools, a service listing too much is refused whole, and no
 * database error reaches a client with its SQL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListPromptsRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const OBJECT_SCHEMA = { type: "object" };

/** A backend answering tools/list (and prompts/list) with exactly these entries, valid or not. */
function listingBackend(tools: unknown[], prompts: unknown[] = []): FixtureBackend {
  return startFixtureBackend(() => {
    const server = new McpServer({ name: "listing", version: "1.0.0" }, { capabilities: { tools: {}, prompts: {} } });
    server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }) as never);
    server.server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts }) as never);
    return server;
  });
}

const INVALID_TOOLS = [
  { name: "no_input_schema" },
  { name: "string_input_schema", inputSchema: { type: "string" } },
  { name: "", inputSchema: OBJECT_SCHEMA },
  { name: "x".repeat(500), inputSchema: OBJECT_SCHEMA },
  { name: "nul_in_description", description: "before\0after", inputSchema: OBJECT_SCHEMA },
  {
    name: "bad_output_schema",
    inputSchema: OBJECT_SCHEMA,
    outputSchema: { type: "object", properties: { a: { type: "nope" } } },
  },
  42,
];

describe.each(testDatabaseKinds())("service definitions on %s", (kind) => {
  let database: TestDatabase;
  /** A database the last test closes under a gateway. */
  let other: TestDatabase;
  let gw: RunningGateway;
  const backends: FixtureBackend[] = [];
  const backend = (tools: unknown[], prompts?: unknown[]) => {
    const started = listingBackend(tools, prompts);
    backends.push(started);
    return started;
  };

  // Two hooks, so that each has its own time limit on a busy machine.
  beforeAll(async () => {
    database = await createTestDatabase({ kind });
  });
  beforeAll(async () => {
    other = await createTestDatabase({ kind });
  });
  beforeAll(async () => {
    gw = await startGateway({
      database,
      versionStore: await createTestVersionStore(),
      settings: { serviceListLimits: { maxItems: 20, maxBytes: 64 * 1024 } },
    });
  });
  afterAll(async () => {
    await gw.stop();
    await Promise.all(backends.map((b) => b.stop()));
    await gw.gateway.versionStore.close();
    await database.close();
  });

  test("invalid definitions are left out and reported; the rest of every service stays listed", async () => {
    const good = backend([{ name: "healthy_tool", inputSchema: OBJECT_SCHEMA }]);
    const bad = backend(
      [
        { name: "kept_tool", inputSchema: OBJECT_SCHEMA },
        { name: "twice", inputSchema: OBJECT_SCHEMA },
        { name: "twice", inputSchema: OBJECT_SCHEMA, description: "the second one" },
        ...INVALID_TOOLS,
      ],
      [{ name: "kept_prompt" }, { description: "a prompt without a name" }],
    );
    expect((await gw.admin("POST", "/register", { name: "good", url: good.url })).status).toBe(201);
    const registered = await gw.admin("POST", "/register", { name: "bad", url: bad.url });
    expect(registered.status).toBe(201);

    const client = await gw.client();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["healthy_tool", "kept_tool", "twice"]);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["kept_prompt"]);

    const { services } = (await (await gw.admin("GET", "/services")).json()) as {
      services: { name: string; rejected: { kind: string; name: string; reason: string }[] }[];
    };
    const rejected = services.find((s) => s.name === "bad")?.rejected ?? [];
    expect(rejected.map((r) => `${r.kind} ${r.name.slice(0, 24)}`)).toEqual([
      'tool "twice"',
      'tool "no_input_schema"',
      'tool "string_input_schema"',
      'tool ""',
      `tool "${"x".repeat(23)}`,
      'tool "nul_in_description"',
      'tool "bad_output_schema"',
      "tool null",
      "prompt null",
    ]);
    expect(rejected.find((r) => r.name === '"nul_in_description"')?.reason).toContain("NUL");
    expect(services.find((s) => s.name === "good")?.rejected).toEqual([]);

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('mcp_gateway_definitions_rejected_total{service="bad",kind="tool"} 8');
    expect(metrics).toContain('mcp_gateway_definitions_rejected_total{service="bad",kind="prompt"} 1');
  });

  test("a service listing more tools than allowed is refused, naming the limit", async () => {
    const many = backend(Array.from({ length: 21 }, (_, i) => ({ name: `tool_${i}`, inputSchema: OBJECT_SCHEMA })));
    const response = await gw.admin("POST", "/register", { name: "many", url: many.url });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "more than 20 tools; the gateway takes at most 20 (MAX_SERVICE_LIST_ITEMS)",
    );
    expect((await gw.admin("GET", "/services")).ok).toBe(true);
    expect(await gw.gateway.registry.list()).not.toContainEqual(expect.objectContaining({ name: "many" }));
  });

  test("a service whose lists are too large is refused, and a refresh that grows past the limit keeps the old lists", async () => {
    const tools: unknown[] = [{ name: "small", inputSchema: OBJECT_SCHEMA }];
    const growing = backend(tools);
    expect((await gw.admin("POST", "/register", { name: "growing", url: growing.url })).status).toBe(201);
    tools.push({ name: "huge", description: "y".repeat(70 * 1024), inputSchema: OBJECT_SCHEMA });

    const response = await gw.admin("PUT", "/update/growing");
    expect(response.status).toBe(502);
    expect(await response.text()).toContain("(MAX_SERVICE_LIST_BYTES)");
    const stored = (await gw.gateway.registry.list()).find((s) => s.name === "growing");
    expect(stored?.tools.map((t) => t.name)).toEqual(["small"]);
  });

  test("an error reply from the database never carries SQL", async () => {
    const replica = await startGateway({
      database: other,
      versionStore: await createTestVersionStore(),
      // A closed PGlite may never answer: the deadline turns that into the 503 too.
      settings: { database: { pgliteDir: "memory://", poolMax: 1, queryTimeoutMs: 500, connectTimeoutMs: 500 } },
    });
    try {
      await other.close();
      const response = await replica.admin("GET", "/services");
      expect(response.status).toBe(503);
      const body = await response.text();
      expect(body).toContain("registry database");
      expect(body.toLowerCase()).not.toMatch(/select|from "|params|failed query/);
    } finally {
      await replica.stop();
      await replica.gateway.versionStore.close();
    }
  });
});
