/**
 * The lifetime of the backend sessions clients with a session get of their own: closed when idle, at
 * most MCP_CLIENT_BACKEND_SESSIONS_MAX on a replica (the least recently used idle one makes room, and
 * when none is idle the call takes the shared session), and closed on every replica when the client's
 * session ends or the backend leaves the registry.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { connectBalancedClient, type Replica, type SeenRequest } from "../../test/support/balanced-client.ts";
import { eventually } from "../../test/support/eventually.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { firstText, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import {
  type StatefulFixtureBackend,
  startStatefulFixtureBackend,
} from "../../test/support/stateful-fixture-backend.ts";
import type { GatewaySettings } from "../gateway.ts";

let held: Promise<void> = Promise.resolve();
let holding = 0;

/** `whoami` answers with the backend session it ran in; `hold` does too, once `held` settles. */
function fixtureServer(): McpServer {
  const server = new McpServer({ name: "session-fixture", version: "1.0.0" });
  server.registerTool("whoami", { description: "Names its session." }, async (extra) => ({
    content: [{ type: "text", text: String(extra.sessionId) }],
  }));
  server.registerTool("hold", { description: "Names its session when released." }, async (extra) => {
    holding++;
    await held;
    return { content: [{ type: "text", text: String(extra.sessionId) }] };
  });
  return server;
}

const started: { pair: ReplicaPair; backend: StatefulFixtureBackend }[] = [];

async function startWith(clientBackendSessions: GatewaySettings["clientBackendSessions"]) {
  const backend = startStatefulFixtureBackend(fixtureServer);
  const pair = await startReplicaPair({ settings: { clientBackendSessions }, register: { sessions: backend.url } });
  started.push({ pair, backend });
  return { pair, backend };
}

afterEach(() => {
  held = Promise.resolve();
});
afterAll(async () => {
  for (const { pair, backend } of started) {
    await pair.stop();
    await backend.stop();
  }
});

/** Calls `tool` on the replica the client's next POST goes to; the backend session it ran in. */
async function sessionOf(client: Client, tool = "whoami"): Promise<string> {
  return firstText(await client.callTool({ name: tool }));
}

/** Calls `whoami` until it has run on both replicas; the backend session of each. */
async function onBoth(client: Client, seen: SeenRequest[]): Promise<Map<Replica, string>> {
  const sessions = new Map<Replica, string>();
  while (sessions.size < 2) {
    const before = seen.length;
    const session = await sessionOf(client);
    const replica = seen.slice(before).find((s) => s.rpc === "tools/call")?.replica;
    if (replica) sessions.set(replica, session);
  }
  return sessions;
}

async function statelessSession(url: string): Promise<string> {
  const response = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${TEST_BEARER}`,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "whoami" } }),
  });
  return ((await response.json()) as { result: { content: { text: string }[] } }).result.content[0]?.text ?? "";
}

describe("idle backend sessions", () => {
  test("are closed on each replica, and the client's next call opens a new one", async () => {
    const { pair, backend } = await startWith({ max: 10, idleMs: 50 });
    const { client, seen } = await connectBalancedClient({ a: pair.a.url, b: pair.b.url }, "a");
    try {
      const sessions = await onBoth(client, seen);
      for (const session of sessions.values()) await eventually(() => backend.seen.closedSessions.includes(session));
      const next = await sessionOf(client);
      expect([...sessions.values()]).not.toContain(next);
    } finally {
      await client.close();
    }
  });
});

describe("the bound on backend sessions", () => {
  test("closes the least recently used idle one to make room", async () => {
    const { pair, backend } = await startWith({ max: 2, idleMs: 60 * 60 * 1000 });
    const urls = { a: pair.a.url, b: pair.a.url };
    const clients = await Promise.all([1, 2, 3].map(() => connectBalancedClient(urls, "a")));
    try {
      const [first, second, third] = clients.map((c) => c.client) as [Client, Client, Client];
      const firstSession = await sessionOf(first);
      const secondSession = await sessionOf(second);
      // Used again, so the second is now the least recently used.
      expect(await sessionOf(first)).toBe(firstSession);
      const thirdSession = await sessionOf(third);
      await eventually(() => backend.seen.closedSessions.includes(secondSession));
      expect(backend.seen.closedSessions).not.toContain(firstSession);
      expect(await sessionOf(first)).toBe(firstSession);
      expect(await sessionOf(third)).toBe(thirdSession);
    } finally {
      await Promise.all(clients.map((c) => c.client.close()));
    }
  });

  test("sends a call through the shared session when every one has a call in flight", async () => {
    const { pair } = await startWith({ max: 1, idleMs: 60 * 60 * 1000 });
    const urls = { a: pair.a.url, b: pair.a.url };
    const [busy, other] = await Promise.all([connectBalancedClient(urls, "a"), connectBalancedClient(urls, "a")]);
    let release = () => {};
    held = new Promise((resolve) => {
      release = resolve;
    });
    try {
      const busySession = sessionOf(busy.client, "hold");
      await eventually(() => holding === 1);
      const shared = await statelessSession(pair.a.url);
      expect(await sessionOf(other.client)).toBe(shared);
      release();
      expect(await busySession).not.toBe(shared);
    } finally {
      release();
      await Promise.all([busy.client.close(), other.client.close()]);
    }
  });
});

describe("when the client's session ends", () => {
  test("its backend sessions close on both replicas, and another client's stay", async () => {
    const { pair, backend } = await startWith({ max: 10, idleMs: 60 * 60 * 1000 });
    const urls = { a: pair.a.url, b: pair.b.url };
    const [ending, staying] = await Promise.all([connectBalancedClient(urls, "a"), connectBalancedClient(urls, "a")]);
    try {
      const ended = await onBoth(ending.client, ending.seen);
      const kept = await onBoth(staying.client, staying.seen);
      await ending.transport.terminateSession();
      for (const session of ended.values()) await eventually(() => backend.seen.closedSessions.includes(session));
      for (const session of kept.values()) expect(backend.seen.closedSessions).not.toContain(session);
      expect(await onBoth(staying.client, staying.seen)).toEqual(kept);
    } finally {
      await Promise.all([ending.client.close(), staying.client.close()]);
    }
  });
});

describe("a backend that keeps no sessions", () => {
  test("is found out once, and then every client shares its one session", async () => {
    const { pair } = await startWith({ max: 10, idleMs: 60 * 60 * 1000 });
    let initialized = 0;
    const stateless = startFixtureBackend(() => {
      const server = new McpServer({ name: "stateless-fixture", version: "1.0.0" });
      server.registerTool("plain", { description: "Answers." }, async () => ({
        content: [{ type: "text", text: "ok" }],
      }));
      server.server.oninitialized = () => {
        initialized++;
      };
      return server;
    });
    expect((await pair.a.admin("POST", "/register", { name: "stateless", url: stateless.url })).status).toBe(201);
    await eventually(() => pair.a.gateway.catalog.snapshot().routes.has("plain"));
    const urls = { a: pair.a.url, b: pair.a.url };
    const clients = await Promise.all([1, 2, 3].map(() => connectBalancedClient(urls, "a")));
    try {
      const before = initialized;
      for (const { client } of clients) {
        expect(firstText(await client.callTool({ name: "plain" }))).toBe("ok");
        expect(firstText(await client.callTool({ name: "plain" }))).toBe("ok");
      }
      // The first client's own session found out, the shared one served the rest.
      expect(initialized - before).toBe(2);
    } finally {
      await Promise.all(clients.map((c) => c.client.close()));
      await stateless.stop();
    }
  });
});

describe("when the backend leaves the registry", () => {
  test("every client's session with it closes", async () => {
    const { pair, backend } = await startWith({ max: 10, idleMs: 60 * 60 * 1000 });
    const { client, seen } = await connectBalancedClient({ a: pair.a.url, b: pair.b.url }, "a");
    try {
      const sessions = await onBoth(client, seen);
      expect((await pair.a.admin("DELETE", "/delete/sessions")).status).toBe(200);
      for (const session of sessions.values()) await eventually(() => backend.seen.closedSessions.includes(session));
    } finally {
      await client.close();
    }
  });
});
