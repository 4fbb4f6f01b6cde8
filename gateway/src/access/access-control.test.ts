/**
 * Access control over real HTTP with the SDK client: each caller's lists show only what it may use, on
 * /mcp and on a virtual server, and a call outside them is refused before it reaches a backend. The
 * backends count every call they receive. Callers are API keys created through the admin API, each with
 * its own scopes and roles, and the static bearer token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  connectClient,
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { withoutAuditWrites } from "../../test/support/hot-path-queries.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { startReplicaPair } from "../../test/support/replica-pair.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { NOT_PERMITTED, UNAUTHORIZED, UNKNOWN_VIRTUAL_SERVER } from "../mcp/json-rpc-errors.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const calls = new Map<string, number>();
const callsOf = (name: string) => calls.get(name) ?? 0;
const count = (name: string) => calls.set(name, callsOf(name) + 1);

function vaultServer(): McpServer {
  const server = new McpServer({ name: "vault", version: "1.0.0" });
  for (const tool of ["secret", "open"])
    server.registerTool(tool, { description: `The ${tool} tool.` }, async () => {
      count(tool);
      return { content: [{ type: "text", text: tool }] };
    });
  server.registerPrompt("vault-prompt", { description: "A prompt." }, () => {
    count("vault-prompt");
    return { messages: [{ role: "user", content: { type: "text", text: "hello" } }] };
  });
  server.registerResource("secret-file", "vault://secret", {}, async (uri) => {
    count("vault://secret");
    return { contents: [{ uri: uri.href, text: "s3cret" }] };
  });
  return server;
}

function shopServer(): McpServer {
  const server = new McpServer({ name: "shop", version: "1.0.0" });
  for (const tool of ["buy", "browse"])
    server.registerTool(tool, { description: `The ${tool} tool.` }, async () => {
      count(tool);
      return { content: [{ type: "text", text: tool }] };
    });
  return server;
}

/** The test callers besides the static token: API keys with these grants (mcp:tools opens /mcp at all). */
const CALLERS: Record<string, { scopes: string[]; roles?: string[] }> = {
  "tok-admin": { scopes: ["mcp:tools"], roles: ["mcp-admin"] },
  "tok-shopper": { scopes: ["mcp:tools", "mcp:servers:shop"] },
  "tok-open": { scopes: ["mcp:tools", "mcp:tools:vault-service/open"] },
  "tok-support": { scopes: ["mcp:tools", "profile"], roles: ["support"] },
  "tok-nobody": { scopes: ["mcp:tools", "profile"] },
};
/** Each caller's key, as POST /keys answered it. */
const secrets = new Map<string, string>();
const credential = (caller: string) => secrets.get(caller) ?? caller;

const SHOP = {
  name: "shop",
  services: ["shop-service"],
  tools: ["vault-service/open"],
};
const SUPPORT = {
  name: "support",
  tools: ["secret"],
  prompts: ["vault-*"],
  resources: ["vault://*"],
  allowedRoles: ["support"],
};

async function allTools(client: Client): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names.sort();
}

async function lists(client: Client) {
  return {
    tools: await allTools(client),
    prompts: (await client.listPrompts()).prompts.map((p) => p.name),
    resources: (await client.listResources()).resources.map((r) => r.uri),
  };
}

let database: TestDatabase;
let versions: VersionStore;
let vault: FixtureBackend;
let shop: FixtureBackend;
let gw: RunningGateway;
const queries: string[] = [];
const clients: Client[] = [];

async function client(caller: string, path = "/mcp"): Promise<Client> {
  const connected = await connectClient(`${gw.url}${path}`, credential(caller));
  clients.push(connected);
  return connected;
}

beforeAll(async () => {
  vault = startFixtureBackend(vaultServer);
  shop = startFixtureBackend(shopServer);
  database = await createTestDatabase({ onQuery: (sql) => queries.push(sql) });
  versions = await createTestVersionStore();
  // Pages of two entries, so that every list below is read across several pages.
  gw = await startGateway({ database, versionStore: versions, settings: { mcpPageSize: 2 } });
  for (const [name, grants] of Object.entries(CALLERS)) {
    const created = await gw.admin("POST", "/keys", { name, ...grants });
    expect(created.status).toBe(201);
    secrets.set(name, ((await created.json()) as { secret: string }).secret);
  }
  for (const [name, backend] of [
    ["vault-service", vault],
    ["shop-service", shop],
  ] as const)
    expect((await gw.admin("POST", "/register", { name, url: backend.url })).status).toBe(201);
  for (const server of [SHOP, SUPPORT]) expect((await gw.admin("POST", "/virtual-servers", server)).status).toBe(201);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await gw?.stop();
  await Promise.all([vault?.stop(), shop?.stop()]);
  await versions?.close();
  await database?.close();
});

describe("/mcp lists what each caller may use", () => {
  test("the static token and an admin role see everything", async () => {
    for (const token of [TEST_BEARER, "tok-admin"])
      expect(await lists(await client(token))).toEqual({
        tools: ["browse", "buy", "open", "secret"],
        prompts: ["vault-prompt"],
        resources: ["vault://secret"],
      });
  });

  test("scopes and roles see the union of their grants", async () => {
    expect(await lists(await client("tok-shopper"))).toEqual({
      tools: ["browse", "buy", "open"],
      prompts: [],
      resources: [],
    });
    expect(await lists(await client("tok-open"))).toEqual({ tools: ["open"], prompts: [], resources: [] });
    expect(await lists(await client("tok-support"))).toEqual({
      tools: ["secret"],
      prompts: ["vault-prompt"],
      resources: ["vault://secret"],
    });
    expect(await lists(await client("tok-nobody"))).toEqual({ tools: [], prompts: [], resources: [] });
  });

  test("a call outside the caller's grants is refused and never reaches the backend", async () => {
    const opener = await client("tok-open");
    const before = { secret: callsOf("secret"), prompt: callsOf("vault-prompt"), read: callsOf("vault://secret") };
    await expect(opener.callTool({ name: "secret" })).rejects.toMatchObject({
      code: NOT_PERMITTED,
      message: expect.stringContaining("Not permitted"),
    });
    await expect(opener.getPrompt({ name: "vault-prompt" })).rejects.toMatchObject({ code: NOT_PERMITTED });
    await expect(opener.readResource({ uri: "vault://secret" })).rejects.toMatchObject({ code: NOT_PERMITTED });
    expect({ secret: callsOf("secret"), prompt: callsOf("vault-prompt"), read: callsOf("vault://secret") }).toEqual(
      before,
    );

    const opened = callsOf("open");
    expect((await opener.callTool({ name: "open" })).isError).toBeFalsy();
    expect(callsOf("open")).toBe(opened + 1);
  });

  test("a tool no service has is still unknown, not refused", async () => {
    await expect((await client("tok-open")).callTool({ name: "nowhere" })).rejects.toMatchObject({ code: -32602 });
  });

  test("the refusal is the same on the fast path (a plain JSON tools/call)", async () => {
    const before = callsOf("secret");
    const response = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${credential("tok-open")}`,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "secret" } }),
    });
    expect(await response.json()).toMatchObject({ id: 7, error: { code: NOT_PERMITTED } });
    expect(callsOf("secret")).toBe(before);
  });
});

describe("a virtual server", () => {
  test("serves its own selection, paged, at /servers/<name>/mcp", async () => {
    expect(await lists(await client(TEST_BEARER, "/servers/shop/mcp"))).toEqual({
      tools: ["browse", "buy", "open"],
      prompts: [],
      resources: [],
    });
    const support = await client("tok-admin", "/servers/support/mcp");
    expect(await lists(support)).toEqual({
      tools: ["secret"],
      prompts: ["vault-prompt"],
      resources: ["vault://secret"],
    });
    expect((await support.getPrompt({ name: "vault-prompt" })).messages).toHaveLength(1);
    expect((await support.readResource({ uri: "vault://secret" })).contents).toHaveLength(1);
  });

  test("shows each caller only what it may use of the selection, and refuses the rest", async () => {
    expect(await allTools(await client("tok-shopper", "/servers/shop/mcp"))).toEqual(["browse", "buy", "open"]);
    const opener = await client("tok-open", "/servers/shop/mcp");
    expect(await allTools(opener)).toEqual(["open"]);
    const bought = callsOf("buy");
    await expect(opener.callTool({ name: "buy" })).rejects.toMatchObject({ code: NOT_PERMITTED });
    expect(callsOf("buy")).toBe(bought);
    expect((await opener.callTool({ name: "open" })).isError).toBeFalsy();
    // Outside the server's selection a tool is unknown there, whoever asks.
    await expect((await client(TEST_BEARER, "/servers/shop/mcp")).callTool({ name: "secret" })).rejects.toMatchObject({
      code: -32602,
    });
    expect(await allTools(await client("tok-nobody", "/servers/shop/mcp"))).toEqual([]);
  });

  test("an unknown virtual server is a 404, and every server needs a credential", async () => {
    const post = (path: string, token?: string) =>
      fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
    const unknown = await post("/servers/nope/mcp", TEST_BEARER);
    expect(unknown.status).toBe(404);
    // A code of its own, so a client tells a wrong path from a wrong credential (UNAUTHORIZED).
    expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(UNKNOWN_VIRTUAL_SERVER);
    const anonymous = await post("/servers/shop/mcp");
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: number } }).error.code).toBe(UNAUTHORIZED);
  });

  test("a change to a server is served at once, and deleting it ends its endpoint", async () => {
    const body = { ...SHOP, name: "temp" };
    expect((await gw.admin("POST", "/virtual-servers", body)).status).toBe(201);
    const admin = await client(TEST_BEARER, "/servers/temp/mcp");
    expect(await allTools(admin)).toEqual(["browse", "buy", "open"]);
    const { name: _, ...fields } = body;
    expect((await gw.admin("PUT", "/virtual-servers/temp", { ...fields, tools: [] })).status).toBe(200);
    expect(await allTools(admin)).toEqual(["browse", "buy"]);
    expect((await gw.admin("DELETE", "/virtual-servers/temp")).status).toBe(200);
    await expect(admin.listTools()).rejects.toThrow();
  });

  test("MCP requests read nothing from the database, for any caller or server", async () => {
    const sessions = [
      await client(TEST_BEARER),
      await client("tok-open"),
      await client("tok-shopper", "/servers/shop/mcp"),
      await client("tok-support", "/servers/support/mcp"),
    ];
    for (const c of sessions) await allTools(c);
    const before = queries.length;
    for (let i = 0; i < 5; i++)
      for (const c of sessions) {
        const [first] = await allTools(c);
        if (first !== undefined) expect((await c.callTool({ name: first })).isError).toBeFalsy();
      }
    expect(withoutAuditWrites(queries.slice(before))).toEqual([]);
  });
});

describe("two replicas", () => {
  test("a virtual server created on one is served by the other", async () => {
    const { a, b, stop } = await startReplicaPair({ database });
    try {
      const server = { name: "replicated", services: ["vault-service"], allowedScopes: ["team"] };
      expect((await a.admin("POST", "/virtual-servers", server)).status).toBe(201);
      const fetchB = (token: string) =>
        postMcp(`${b.url}/servers/replicated/mcp`, token, undefined, "application/json");
      // B learns of the change through the version store, in its own time.
      while ((await fetchB(TEST_BEARER)).status !== 200) await Bun.sleep(25);
      const viaB = await connectClient(`${b.url}/servers/replicated/mcp`, TEST_BEARER);
      clients.push(viaB);
      expect(await allTools(viaB)).toEqual(["open", "secret"]);
      const outsider = await connectClient(`${b.url}/servers/replicated/mcp`, credential("tok-nobody"));
      clients.push(outsider);
      expect(await allTools(outsider)).toEqual([]);
    } finally {
      await stop();
    }
  });
});
