/**
 * Stateful sessions behind a load balancer: one SDK client whose requests alternate between two
 * replicas on one database, version store and session bus (Redis when REDIS_URL is set).
 */
import { describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { connectBalancedClient, type Replica } from "../../test/support/balanced-client.ts";
import { eventually } from "../../test/support/eventually.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { createTestVersionStore, firstText, startGateway, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";
import { createSessionBus } from "./session-bus.ts";

function fixtureServer(name: string): McpServer {
  const server = new McpServer({ name, version: "1.0.0" });
  server.registerTool(`${name}Echo`, { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  return server;
}

const pair = replicaPairServing("alpha", () => startFixtureBackend(() => fixtureServer("alpha")));

const balancedClient = (streamTo: Replica = "b") => connectBalancedClient({ a: pair.a.url, b: pair.b.url }, streamTo);

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_BEARER}`, ...headers },
    body: JSON.stringify(body),
  });
}

describe("sessions across replicas", () => {
  test("a session started on one replica lists and calls through both", async () => {
    const { client, transport, seen } = await balancedClient();
    try {
      expect(transport.sessionId).toBeString();
      for (let i = 0; i < 4; i++) {
        expect((await client.listTools()).tools.map((t) => t.name)).toContain("alphaEcho");
        expect(firstText(await client.callTool({ name: "alphaEcho", arguments: { text: `hi ${i}` } }))).toBe(`hi ${i}`);
      }
      const withSession = seen.filter((s) => s.method === "POST" && s.session === transport.sessionId);
      expect(new Set(withSession.map((s) => s.replica))).toEqual(new Set(["a", "b"]));
      expect(withSession.every((s) => s.status === 200 || s.status === 202)).toBe(true);
    } finally {
      await client.close();
    }
  });

  test("a tampered, foreign or ended session id gets 404 with a JSON-RPC error", async () => {
    const { client, transport } = await balancedClient();
    const id = transport.sessionId!;
    const list = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const tampered = `${id.slice(0, -3)}${id.at(-3) === "A" ? "B" : "A"}${id.slice(-2)}`;
    for (const bad of [tampered, "v1.abc.def.ghi", "not-a-session"]) {
      const res = await post(pair.b.url, list, { "Mcp-Session-Id": bad });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32001);
    }
    expect((await post(pair.b.url, list, { "Mcp-Session-Id": id })).status).toBe(200);

    // DELETE through the client (one replica) ends the session on the other as well.
    await transport.terminateSession();
    await client.close();
    // The other replica learns of it from the bus, a moment later.
    for (const gw of [pair.a, pair.b])
      while ((await post(gw.url, list, { "Mcp-Session-Id": id })).status !== 404) await Bun.sleep(10);
  });

  test("requests without a session stay stateless, and initialize hands out an id", async () => {
    const list = await post(pair.a.url, { jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(list.status).toBe(200);
    expect(list.headers.get("mcp-session-id")).toBeNull();
    const call = await post(pair.b.url, {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "alphaEcho", arguments: { text: "plain" } },
    });
    expect(((await call.json()) as { result: object }).result).toMatchObject({ content: [{ text: "plain" }] });

    const init = await post(pair.a.url, {
      jsonrpc: "2.0",
      id: 3,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
    });
    expect(init.status).toBe(200);
    const id = init.headers.get("mcp-session-id");
    expect(id).toBeString();
    expect(
      (await post(pair.b.url, { jsonrpc: "2.0", id: 4, method: "tools/list" }, { "Mcp-Session-Id": id! })).status,
    ).toBe(200);
  });
});

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};

describe("DELETE /mcp", () => {
  test("without a session id is a bad request", async () => {
    const res = await fetch(`${pair.a.url}/mcp`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${TEST_BEARER}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Mcp-Session-Id");
  });

  test("ends the session with 200 while the session bus is down, since it ended here", async () => {
    // Nothing listens on port 1: every publish fails, as in a Redis outage.
    const deadBus = await createSessionBus({
      redisUrl: "redis://127.0.0.1:1",
      keyPrefix: `test:${crypto.randomUUID()}:`,
    });
    const versionStore = await createTestVersionStore();
    const cut = await startGateway({ database: pair.database, versionStore, sessionBus: deadBus });
    try {
      const id = (await post(cut.url, INITIALIZE)).headers.get("mcp-session-id") ?? "";
      expect(id).not.toBe("");
      const ended = await fetch(`${cut.url}/mcp`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${TEST_BEARER}`, "Mcp-Session-Id": id },
      });
      expect(ended.status).toBe(200);
      const after = await post(cut.url, { jsonrpc: "2.0", id: 2, method: "tools/list" }, { "Mcp-Session-Id": id });
      expect(after.status).toBe(404);
    } finally {
      await cut.stop();
      await deadBus.close();
      await versionStore.close();
    }
  });
});

describe("list changes", () => {
  test("a registration through one replica reaches the event stream held on the other", async () => {
    const { client, seen } = await balancedClient("b");
    const changes: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => void changes.push(n.method));
    const beta = startFixtureBackend(() => fixtureServer("beta"));
    try {
      await eventually(() => seen.some((s) => s.method === "GET" && s.replica === "b" && s.status === 200));
      expect((await pair.a.admin("POST", "/register", { name: "beta", url: beta.url })).status).toBe(201);
      await eventually(() => changes.length > 0);
      expect(changes[0]).toBe("notifications/tools/list_changed");
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("betaEcho");
    } finally {
      await client.close();
      await pair.a.admin("DELETE", "/delete/beta");
      await beta.stop();
    }
  });

  test("the event stream needs a valid session", async () => {
    const res = await fetch(`${pair.b.url}/mcp`, {
      headers: { Authorization: `Bearer ${TEST_BEARER}`, Accept: "text/event-stream", "Mcp-Session-Id": "forged" },
    });
    expect(res.status).toBe(404);
  });
});

describe("MCP_SESSIONS=off", () => {
  test("initialize hands out no session id, and requests stay stateless", async () => {
    const off = await startGateway({
      database: pair.database,
      versionStore: pair.versionStore,
      settings: { mcpSessions: { enabled: false, ttlMs: 60_000 } },
    });
    try {
      const client = await off.client();
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("alphaEcho");
      const init = await post(off.url, {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
      });
      expect(init.status).toBe(200);
      expect(init.headers.get("mcp-session-id")).toBeNull();
    } finally {
      await off.stop();
    }
  });
});
