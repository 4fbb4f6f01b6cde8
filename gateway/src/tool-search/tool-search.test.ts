/**
 * A virtual server in search mode, over real HTTP with the SDK client, on each store: it lists only
 * search_tools and call_tool, finds tools by what they do among those the caller may use, and calls
 * them through the one tools/call pipeline, refusals included. The backends count every call.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  connectClient,
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { serviceRecord } from "../../test/support/service-records.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import { createCatalogViews } from "../access/catalog-views.ts";
import { createCatalog } from "../catalog/catalog.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import type { Identity } from "../identity/identity.ts";
import { NOT_PERMITTED } from "../mcp/json-rpc-errors.ts";
import type { ToolIndex } from "./tool-index.ts";

const calls = new Map<string, number>();
const callsOf = (name: string) => calls.get(name) ?? 0;

type Shape = Record<string, z.ZodType>;

function fixtureServer(name: string, tools: Record<string, { description: string; input: Shape }>) {
  return () => {
    const server = new McpServer({ name, version: "1.0.0" });
    for (const [tool, { description, input }] of Object.entries(tools))
      server.registerTool(tool, { description, inputSchema: input }, async (args) => {
        calls.set(tool, callsOf(tool) + 1);
        return { content: [{ type: "text", text: `${tool} ${JSON.stringify(args)}` }] };
      });
    return server;
  };
}

const weatherServer = fixtureServer("weather", {
  get_forecast: { description: "Weather forecast for a city for the next days.", input: { city: z.string() } },
  currentConditions: { description: "Temperature and wind right now.", input: { latitude: z.number() } },
});
const billingServer = fixtureServer("billing", {
  refund_order: { description: "Refund a paid order to the customer.", input: { orderId: z.string() } },
  listInvoices: { description: "Invoices of a customer account.", input: { customerId: z.string() } },
});

interface Found {
  tools: { name: string; description?: string; inputSchema: { properties?: Record<string, unknown> } }[];
}

const found = (result: object) => (result as { structuredContent: Found }).structuredContent.tools;
const names = (result: object) => found(result).map((t) => t.name);

describe.each(testDatabaseKinds())("a virtual server in search mode on %s", (kind) => {
  let database: TestDatabase;
  let versions: VersionStore;
  let gw: RunningGateway;
  let weather: FixtureBackend;
  let billing: FixtureBackend;
  const clients: Client[] = [];
  const secrets = new Map<string, string>();

  const client = async (caller: string, path = "/servers/finder/mcp") => {
    const connected = await connectClient(`${gw.url}${path}`, secrets.get(caller) ?? caller);
    clients.push(connected);
    return connected;
  };
  const search = (c: Client, query: string, limit?: number) =>
    c.callTool({ name: "search_tools", arguments: { query, ...(limit === undefined ? {} : { limit }) } });

  beforeAll(async () => {
    weather = startFixtureBackend(weatherServer);
    billing = startFixtureBackend(billingServer);
    database = await createTestDatabase({ kind });
    versions = await createTestVersionStore();
    gw = await startGateway({ database, versionStore: versions });
    for (const [name, backend] of [
      ["weather-service", weather],
      ["billing-service", billing],
    ] as const)
      expect((await gw.admin("POST", "/register", { name, url: backend.url })).status).toBe(201);
    const finder = { name: "finder", services: ["weather-service", "billing-service"], mode: "search" };
    expect((await gw.admin("POST", "/virtual-servers", finder)).status).toBe(201);
    // A caller who may use the weather tools only.
    const key = await gw.admin("POST", "/keys", {
      name: "weather-only",
      scopes: ["mcp:tools", "mcp:services:weather-service"],
    });
    secrets.set("weather-only", ((await key.json()) as { secret: string }).secret);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await gw?.stop();
    await Promise.all([weather?.stop(), billing?.stop()]);
    await versions?.close();
    await database?.close();
  });

  test("tools/list shows exactly search_tools and call_tool, also to a plain JSON request", async () => {
    const listed = await (await client(TEST_BEARER)).listTools();
    expect(listed.tools.map((t) => t.name)).toEqual(["search_tools", "call_tool"]);
    expect(listed.tools[0]?.inputSchema).toMatchObject({ required: ["query"] });
    const response = await postMcp(`${gw.url}/servers/finder/mcp`, TEST_BEARER, undefined, "application/json");
    const body = (await response.json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((t) => t.name)).toEqual(["search_tools", "call_tool"]);
  });

  test("search_tools ranks by name, description and parameter names, with the input schema of each", async () => {
    const admin = await client(TEST_BEARER);
    const refund = await search(admin, "refund an order");
    expect(names(refund)[0]).toBe("refund_order");
    expect(found(refund)[0]?.inputSchema.properties).toHaveProperty("orderId");
    expect(names(await search(admin, "invoices"))[0]).toBe("listInvoices");
    expect(names(await search(admin, "wether forcast"))[0]).toBe("get_forecast");
    expect(names(await search(admin, "latitude"))[0]).toBe("currentConditions");
    expect(names(await search(admin, "current conditions"))[0]).toBe("currentConditions");
    expect(names(await search(admin, "customer", 1))).toHaveLength(1);
    const none = await search(admin, "xylophone");
    expect({ tools: found(none), text: firstText(none) }).toEqual({
      tools: [],
      text: expect.stringContaining("No tool"),
    });
  });

  test("call_tool calls a found tool through the gateway", async () => {
    const before = callsOf("refund_order");
    const result = await (await client(TEST_BEARER)).callTool({
      name: "call_tool",
      arguments: { name: "refund_order", arguments: { orderId: "o-7" } },
    });
    expect({ isError: result.isError, text: firstText(result) }).toEqual({
      isError: undefined,
      text: 'refund_order {"orderId":"o-7"}',
    });
    expect(callsOf("refund_order")).toBe(before + 1);
  });

  test("a caller finds only what it may use, and call_tool refuses the rest like a direct call", async () => {
    const weatherOnly = await client("weather-only");
    expect(names(await search(weatherOnly, "refund order invoices forecast", 20))).toEqual(["get_forecast"]);
    const before = callsOf("refund_order");
    await expect(
      weatherOnly.callTool({ name: "call_tool", arguments: { name: "refund_order", arguments: { orderId: "x" } } }),
    ).rejects.toMatchObject({ code: NOT_PERMITTED });
    await expect(weatherOnly.callTool({ name: "call_tool", arguments: { name: "nowhere" } })).rejects.toMatchObject({
      code: -32602,
    });
    expect(callsOf("refund_order")).toBe(before);
    const forecast = await weatherOnly.callTool({
      name: "call_tool",
      arguments: { name: "get_forecast", arguments: { city: "Oslo" } },
    });
    expect(firstText(forecast)).toBe('get_forecast {"city":"Oslo"}');
  });

  test("bad arguments are tool errors; tools not listed here are unknown", async () => {
    const admin = await client(TEST_BEARER);
    for (const args of [{}, { query: "" }, { query: "x", limit: 0 }, { query: "x", extra: 1 }]) {
      const result = await admin.callTool({ name: "search_tools", arguments: args });
      expect({ args, isError: result.isError, text: firstText(result) }).toEqual({
        args,
        isError: true,
        text: expect.stringContaining("Invalid arguments for search_tools"),
      });
    }
    const noName = await admin.callTool({ name: "call_tool", arguments: { arguments: {} } });
    expect(firstText(noName)).toContain("Invalid arguments for call_tool: name");
    await expect(admin.callTool({ name: "get_forecast", arguments: { city: "Oslo" } })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining("search_tools"),
    });
  });

  test("the index follows the catalog: a tool registered later is found, one removed is not", async () => {
    const admin = await client(TEST_BEARER);
    expect(names(await search(admin, "tide"))).toEqual([]);
    const tides = startFixtureBackend(
      fixtureServer("tides", { tideTable: { description: "High and low tide times.", input: { port: z.string() } } }),
    );
    try {
      const finder = { services: ["weather-service", "billing-service", "tides-service"], mode: "search" };
      expect((await gw.admin("POST", "/register", { name: "tides-service", url: tides.url })).status).toBe(201);
      expect((await gw.admin("PUT", "/virtual-servers/finder", finder)).status).toBe(200);
      expect(names(await search(admin, "tide"))).toEqual(["tideTable"]);
      expect((await gw.admin("DELETE", "/delete/tides-service")).status).toBe(200);
      expect(names(await search(admin, "tide"))).toEqual([]);
    } finally {
      await tides.stop();
    }
  });

  test("the same catalog at /mcp and on a direct server still lists every tool", async () => {
    const all = await (await client(TEST_BEARER, "/mcp")).listTools();
    expect(all.tools.map((t) => t.name).sort()).toEqual([
      "currentConditions",
      "get_forecast",
      "listInvoices",
      "refund_order",
    ]);
  });
});

describe("the tool index", () => {
  test("is built once per catalog version and caller view, never per request", async () => {
    const server = {
      id: "s",
      name: "finder",
      description: null,
      services: ["a"],
      tools: [],
      resources: [],
      prompts: [],
      allowedScopes: ["team"],
      allowedRoles: [],
      mode: "search" as const,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    };
    let tools = ["alpha"];
    const catalog = createCatalog({
      loadServices: async () => [serviceRecord("a", tools)],
      loadVirtualServers: async () => [server],
    });
    await catalog.reload(1);
    const views = createCatalogViews({ catalog, policy: { adminScope: "mcp:admin", adminRole: "mcp-admin" } });
    const caller = (subject: string): Identity => ({ kind: "api-key", subject, scopes: ["team"], roles: [] });
    const index = views.server(caller("one"), "finder")?.toolIndex?.();
    expect(index?.search("alpha", 5).map((t) => t.name)).toEqual(["alpha"]);
    // Another request, and another caller with the same grants: the same index.
    expect(views.server(caller("one"), "finder")?.toolIndex?.()).toBe(index as ToolIndex);
    expect(views.server(caller("two"), "finder")?.toolIndex?.()).toBe(index as ToolIndex);
    tools = ["beta"];
    await catalog.reload(2);
    const rebuilt = views.server(caller("one"), "finder")?.toolIndex?.();
    expect(rebuilt).not.toBe(index as ToolIndex);
    expect(rebuilt?.search("beta", 5).map((t) => t.name)).toEqual(["beta"]);
    expect(views.whole(caller("one")).toolIndex).toBeUndefined();
  });
});
