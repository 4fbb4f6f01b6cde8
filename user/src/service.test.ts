import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createServiceApp, serve } from "@mcp-federation/mcp-http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Server } from "bun";
import { createUserServer } from "./mcp-server.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.
setDefaultTimeout(30_000);

const TOKEN = "user-test-token";

let server: Server<undefined>;
let client: Client;
let baseUrl: string;

beforeAll(async () => {
  const app = createServiceApp({ serviceName: "user-service", bearerToken: TOKEN, createServer: createUserServer });
  server = serve(app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  baseUrl = `http://127.0.0.1:${server.port}`;
  client = new Client({ name: "user-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("/mcp", baseUrl), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }),
  );
});

afterAll(async () => {
  await client.close();
  await server.stop(true);
});

/** One JSON-RPC POST shaped like the design's curl: no Accept header and no initialize first. */
function postRpc(body: object, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }): Promise<Response> {
  return fetch(`${baseUrl}/mcp`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

function textOf(result: Record<string, unknown>): string {
  const [first] = result.content as { type: string; text: string }[];
  return first?.text ?? "";
}

type FoundUsers = { users: { id: string; name: string; email: string }[]; count: number };

describe("user tools over the SDK client", () => {
  test("lists both tools with input and output schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["getUserById", "searchUsers"]);
    for (const tool of tools) expect(tool.outputSchema?.type).toBe("object");
  });

  test("getUserById returns the user as structured content and text", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: "456" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ id: "456", name: "Maria Fernandes", role: "customer" });
    const { createdAt } = result.structuredContent as { createdAt: string };
    expect(new Date(createdAt).toISOString()).toBe(createdAt);
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  });

  test("searchUsers matches name or email case-insensitively", async () => {
    const byName = await client.callTool({ name: "searchUsers", arguments: { query: "fERNANDES" } });
    expect((byName.structuredContent as FoundUsers).users.map((u) => u.id)).toEqual(["456"]);

    const byEmail = await client.callTool({ name: "searchUsers", arguments: { query: "HANNAH.MUELLER@" } });
    expect((byEmail.structuredContent as FoundUsers).users.map((u) => u.name)).toEqual(["Hannah Müller"]);
  });

  test("searchUsers honours the limit", async () => {
    const result = await client.callTool({ name: "searchUsers", arguments: { query: "example.com", limit: 3 } });
    const { users, count } = result.structuredContent as FoundUsers;
    expect(count).toBe(3);
    expect(users).toHaveLength(3);
  });

  test("an unknown id is a tool error that points to searchUsers", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: "does-not-exist" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("searchUsers");
  });

  test("invalid arguments are rejected with a validation error", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: 456 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Input validation error");
  });
});

describe("user HTTP contract", () => {
  test("/health names the service", async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", service: "user-service" });
  });

  test.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer not-the-token" }],
  ])("%s gives 401 with a Bearer challenge and a JSON-RPC error", async (_, headers) => {
    const response = await postRpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
    const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.error.message).toContain("Unauthorized");
  });

  test("a curl-shaped tools/list gets a plain JSON answer", async () => {
    const response = await postRpc({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    const body = (await response.json()) as { id: number; result: { tools: { name: string }[] } };
    expect(body.id).toBe(1);
    expect(body.result.tools.map((t) => t.name)).toContain("getUserById");
  });

  test("a curl-shaped tools/call gets a plain JSON answer", async () => {
    const response = await postRpc({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "getUserById", arguments: { id: "456" } } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    const body = (await response.json()) as { id: number; result: { structuredContent: { id: string } } };
    expect(body.id).toBe(2);
    expect(body.result.structuredContent.id).toBe("456");
  });

  test("a client that accepts an event stream gets one", async () => {
    const response = await postRpc(
      { jsonrpc: "2.0", id: 3, method: "tools/list" },
      { Authorization: `Bearer ${TOKEN}`, Accept: "application/json, text/event-stream" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    expect(await response.text()).toContain('"getUserById"');
  });
});
