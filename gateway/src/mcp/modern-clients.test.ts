/**
 * One gateway URL for every kind of client: the 1.x SDK and the v2 SDK in each negotiation mode list and
 * call the federated tools, 2026-07-28 requests through the same routing (permissions included) as 2025
 * ones.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { connectClient, startTestStack, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";

let stack: TestStack;

beforeAll(async () => {
  // Pages of two, so that listing the demo's four tools takes a cursor.
  stack = await startTestStack({ register: ["shopping", "user"], settings: { mcpPageSize: 2 } });
});
afterAll(async () => {
  await stack?.stop();
});

const MODERN_ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "gateway-test", version: "1.0.0" },
};

type Mode = "legacy" | "auto" | { pin: string };

interface ListingClient {
  listTools(params?: { cursor?: string }): Promise<{ tools: { name: string }[]; nextCursor?: string }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<Record<string, unknown>>;
}

async function v2Client(mode: Mode, token = TEST_BEARER, path = "/mcp") {
  const client = new Client({ name: "gateway-test", version: "1.0.0" }, { versionNegotiation: { mode } });
  const transport = new StreamableHTTPClientTransport(new URL(`${stack.gw.url}${path}`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, protocolVersion: transport.protocolVersion };
}

async function allToolNames(client: ListingClient): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((tool) => tool.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names.sort();
}

const ALL_TOOLS = ["getProductById", "getUserById", "searchProducts", "searchUsers"];

describe("one /mcp for every client", () => {
  test.each([
    ["v2 pinned to 2026-07-28", { pin: "2026-07-28" }, "2026-07-28"],
    ["v2 in auto mode", "auto", "2026-07-28"],
    ["v2 in legacy mode", "legacy", "2025-11-25"],
  ] as const)("a %s client lists every page and calls tools of both services", async (_, mode, revision) => {
    const { client, protocolVersion } = await v2Client(mode);
    try {
      expect(protocolVersion).toBe(revision);
      expect(await allToolNames(client)).toEqual(ALL_TOOLS);
      const product = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(product.isError).toBeFalsy();
      expect(product.structuredContent).toMatchObject({ id: "123" });
      const user = await client.callTool({ name: "getUserById", arguments: { id: "456" } });
      expect(user.isError).toBeFalsy();
      expect(user.structuredContent).toMatchObject({ id: "456" });
    } finally {
      await client.close();
    }
  });

  test("a 1.x client lists every page and calls tools as before", async () => {
    const client = await connectClient(`${stack.gw.url}/mcp`, TEST_BEARER);
    try {
      expect(await allToolNames(client)).toEqual(ALL_TOOLS);
      const product = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(product.structuredContent).toMatchObject({ id: "123" });
    } finally {
      await client.close();
    }
  });

  test("a 2026-07-28 client of a key granted one service sees and calls only that service's tools", async () => {
    const created = await stack.gw.admin("POST", "/keys", {
      name: "modern-agent",
      scopes: ["mcp:tools", "mcp:services:shopping-service"],
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    const { client } = await v2Client({ pin: "2026-07-28" }, secret);
    try {
      expect(await allToolNames(client)).toEqual(["getProductById", "searchProducts"]);
      const product = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(product.isError).toBeFalsy();
      const refused = client.callTool({ name: "getUserById", arguments: { id: "456" } });
      await expect(refused).rejects.toThrow(/not permitted|permission/i);
    } finally {
      await client.close();
    }
  });
});

test("a 2026-07-28 client's calls count against its key's rate limit", async () => {
  const created = await stack.gw.admin("POST", "/keys", {
    name: "modern-limited",
    scopes: ["mcp:tools", "mcp:services:shopping-service"],
    rateLimitPerMinute: 1,
  });
  const { secret } = (await created.json()) as { secret: string };
  const { client } = await v2Client({ pin: "2026-07-28" }, secret);
  try {
    const call = () => client.callTool({ name: "getProductById", arguments: { id: "123" } });
    expect((await call()).isError).toBeFalsy();
    await expect(call()).rejects.toThrow(/Rate limit exceeded/);
  } finally {
    await client.close();
  }
});

test("a 2026-07-28 client of a virtual server sees only that server's tools", async () => {
  const created = await stack.gw.admin("POST", "/virtual-servers", { name: "users", services: ["user-service"] });
  expect(created.status).toBe(201);
  const { client } = await v2Client({ pin: "2026-07-28" }, TEST_BEARER, "/servers/users/mcp");
  try {
    expect(await allToolNames(client)).toEqual(["getUserById", "searchUsers"]);
    const user = await client.callTool({ name: "getUserById", arguments: { id: "456" } });
    expect(user.structuredContent).toMatchObject({ id: "456" });
  } finally {
    await client.close();
  }
});

describe("2026-07-28 on the wire", () => {
  const post = (body: object, headers: Record<string, string>) =>
    fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${TEST_BEARER}`,
        "MCP-Protocol-Version": "2026-07-28",
        ...headers,
      },
      body: JSON.stringify(body),
    });

  test("server/discover names the revision and the gateway", async () => {
    const response = await post(
      { jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: MODERN_ENVELOPE } },
      { "Mcp-Method": "server/discover" },
    );
    expect(response.status).toBe(200);
    const { result } = (await response.json()) as {
      result: { supportedVersions: string[]; resultType: string; _meta: Record<string, { name: string }> };
    };
    expect(result.supportedVersions).toContain("2026-07-28");
    expect(result.resultType).toBe("complete");
    expect(result._meta["io.modelcontextprotocol/serverInfo"]?.name).toBe("mcp-federation-gateway");
  });

  test("tools/list is marked private to the caller", async () => {
    const response = await post(
      { jsonrpc: "2.0", id: 2, method: "tools/list", params: { _meta: MODERN_ENVELOPE } },
      { "Mcp-Method": "tools/list" },
    );
    const { result } = (await response.json()) as { result: { cacheScope: string; ttlMs: number; tools: unknown[] } };
    expect(result).toMatchObject({ cacheScope: "private", ttlMs: 0 });
    expect(result.tools).toHaveLength(2);
  });

  test("a plain tools/call is answered byte for byte as the SDK's handler answers it", async () => {
    const call = (id: number, productId: string, envelope: object) =>
      post(
        {
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "getProductById", arguments: { id: productId }, _meta: envelope },
        },
        { "Mcp-Method": "tools/call", "Mcp-Name": "getProductById" },
      );
    // A clientInfo title is valid, but not the plain shape the gateway answers by itself: the handler answers it.
    const handlerEnvelope = {
      ...MODERN_ENVELOPE,
      "io.modelcontextprotocol/clientInfo": { name: "gateway-test", version: "1.0.0", title: "Test" },
    };
    for (const productId of ["123", "no-such-product"]) {
      const fast = await call(7, productId, MODERN_ENVELOPE);
      const handled = await call(7, productId, handlerEnvelope);
      expect(fast.status).toBe(handled.status);
      expect(fast.headers.get("content-type")).toBe(handled.headers.get("content-type"));
      expect(await fast.text()).toBe(await handled.text());
    }
  });

  test("a tools/call whose Mcp-Name header disagrees with its body is refused before it is routed", async () => {
    const params = { name: "getProductById", arguments: { id: "123" }, _meta: MODERN_ENVELOPE };
    const response = await post(
      { jsonrpc: "2.0", id: 4, method: "tools/call", params },
      { "Mcp-Method": "tools/call", "Mcp-Name": "searchProducts" },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ id: 4, error: { code: -32020 } });
  });

  test("a request whose Mcp-Method header disagrees with its body gets 400 -32020", async () => {
    const params = { name: "getProductById", arguments: { id: "123" }, _meta: MODERN_ENVELOPE };
    const response = await post(
      { jsonrpc: "2.0", id: 3, method: "tools/call", params },
      { "Mcp-Method": "tools/list" },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ id: 3, error: { code: -32020 } });
  });
});
