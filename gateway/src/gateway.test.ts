import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createTestVersionStore,
  firstText,
  startGateway,
  startTestStack,
  TEST_API_KEY,
  TEST_BEARER,
  type TestStack,
} from "../test/support/gateway-harness.ts";
import { silentLogger } from "./logger.ts";
import { bootstrapServices } from "./registry/bootstrap.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
async function json(response: Response): Promise<any> {
  return response.json();
}

describe("registration through the admin API", () => {
  test("registers both services and lists their tools", async () => {
    const res = await stack.gw.admin("POST", "/register", { name: "shopping-service", url: stack.shopping.url });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.service.name).toBe("shopping-service");
    expect(body.service.tools.sort()).toEqual(["getProductById", "searchProducts"]);
    expect(body.service.secretHeaders).toBeUndefined();

    expect((await stack.gw.admin("POST", "/register", { name: "user-service", url: stack.user.url })).status).toBe(201);

    const list = await json(await stack.gw.admin("GET", "/services"));
    expect(list.services.map((s: { name: string }) => s.name)).toEqual(["shopping-service", "user-service"]);
    const viaPost = await json(await stack.gw.admin("POST", "/services"));
    expect(viaPost).toEqual(list);
  });

  test("the MCP bearer token may read the service list, as in the design", async () => {
    const res = await fetch(`${stack.gw.url}/services`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_BEARER}` },
    });
    expect(res.status).toBe(200);
    expect((await json(res)).services.length).toBe(2);
  });

  test("the federated tool list is the union, and calls reach both services", async () => {
    const client = await stack.gw.client();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["getProductById", "getUserById", "searchProducts", "searchUsers"]);
    const product = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
    expect(product.isError).toBeFalsy();
    expect((product.structuredContent as { id: string }).id).toBe("123");
    const person = await client.callTool({ name: "getUserById", arguments: { id: "456" } });
    expect((person.structuredContent as { id: string }).id).toBe("456");
    const missing = await client.callTool({ name: "getUserById", arguments: { id: "nope" } });
    expect(missing.isError).toBe(true);
    expect(firstText(missing)).toContain("nope");
  });

  test("tool definitions pass through with their JSON Schema intact", async () => {
    const client = await stack.gw.client();
    const { tools } = await client.listTools();
    const search = tools.find((t) => t.name === "searchProducts");
    expect(search?.inputSchema.properties).toHaveProperty("limit");
    expect(search?.outputSchema?.properties).toHaveProperty("products");
  });

  test("an unknown tool is a JSON-RPC error", async () => {
    const client = await stack.gw.client();
    await expect(client.callTool({ name: "noSuchTool", arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  test("registering the same name and URL again refreshes; another URL is a 409", async () => {
    const again = await stack.gw.admin("POST", "/register", { name: "user-service", url: stack.user.url });
    expect(again.status).toBe(200);
    expect((await json(again)).created).toBe(false);
    const conflict = await stack.gw.admin("POST", "/register", { name: "user-service", url: stack.shopping.url });
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).error.code).toBe("conflict");
  });

  test("update re-pulls the tools; unknown names are 404", async () => {
    const res = await stack.gw.admin("PUT", "/update/user-service");
    expect(res.status).toBe(200);
    expect((await json(res)).service.tools.sort()).toEqual(["getUserById", "searchUsers"]);
    expect((await stack.gw.admin("PUT", "/update/ghost")).status).toBe(404);
    expect((await stack.gw.admin("DELETE", "/delete/ghost")).status).toBe(404);
  });

  test("delete removes the tools, and the name can be registered again", async () => {
    expect((await stack.gw.admin("DELETE", "/delete/user-service")).status).toBe(200);
    const client = await stack.gw.client();
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("getUserById");
    await expect(client.callTool({ name: "getUserById", arguments: { id: "456" } })).rejects.toThrow(/Unknown tool/);

    expect((await stack.gw.admin("POST", "/register", { name: "user-service", url: stack.user.url })).status).toBe(201);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("getUserById");
  });
});

describe("errors", () => {
  test("admin routes need the API key", async () => {
    const none = await fetch(`${stack.gw.url}/register`, {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    expect(none.status).toBe(401);
    expect((await json(none)).error.code).toBe("unauthorized");
    const wrong = await fetch(`${stack.gw.url}/delete/user-service`, {
      method: "DELETE",
      headers: { "X-API-Key": "nope" },
    });
    expect(wrong.status).toBe(401);
    const bearerForWrite = await fetch(`${stack.gw.url}/delete/user-service`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${TEST_BEARER}` },
    });
    expect(bearerForWrite.status).toBe(401);
  });

  test("a bad body is a 400 with the issues, and nothing is stored", async () => {
    const res = await stack.gw.admin("POST", "/register", { name: "Not Valid!", url: "ftp://example.com" });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["name", "url"]);
    const list = await json(await stack.gw.admin("GET", "/services"));
    expect(list.services.map((s: { name: string }) => s.name)).not.toContain("Not Valid!");
  });

  test("an unreachable service is a 502 with the reason, and nothing is stored", async () => {
    const res = await stack.gw.admin("POST", "/register", { name: "ghost", url: "http://127.0.0.1:1" });
    expect(res.status).toBe(502);
    expect((await json(res)).error.message).toContain("ghost");
    const list = await json(await stack.gw.admin("GET", "/services"));
    expect(list.services.map((s: { name: string }) => s.name)).not.toContain("ghost");
  });

  test.each([
    ["no token", {}],
    ["a wrong token", { Authorization: "Bearer not-the-token" }],
    ["the token with a prefix", { Authorization: `Bearer x${TEST_BEARER}` }],
    ["the API key as a bearer token", { Authorization: `Bearer ${TEST_API_KEY}` }],
  ])("MCP refuses %s with 401 and a JSON-RPC error", async (_, headers: Record<string, string>) => {
    const res = await fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await json(res)).error.message).toContain("Unauthorized");
  });

  const curlCall = (accept?: string) =>
    fetch(`${stack.gw.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${TEST_BEARER}`,
        ...(accept === undefined ? {} : { Accept: accept }),
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "getProductById", arguments: { id: "123" } },
      }),
    });

  test("the design's plain curl request (no Accept, no initialize) gets JSON", async () => {
    const res = await curlCall();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await json(res);
    expect(body.result.structuredContent.id).toBe("123");
  });

  // What the README promises next to the curl examples.
  test("a client accepting JSON and event streams gets JSON; one accepting only event streams gets a stream", async () => {
    const both = await curlCall("application/json, text/event-stream");
    expect(both.headers.get("content-type")).toStartWith("application/json");
    expect((await json(both)).result.structuredContent.id).toBe("123");

    const streamOnly = await curlCall("text/event-stream");
    expect(streamOnly.headers.get("content-type")).toStartWith("text/event-stream");
    expect(await streamOnly.text()).toContain('"structuredContent"');
  });
});

describe("name collisions", () => {
  test("a later service's clashing tool is exposed as <service>__<tool>, earlier names stay", async () => {
    expect((await stack.gw.admin("POST", "/register", { name: "shop-two", url: stack.shopping.url })).status).toBe(201);
    const client = await stack.gw.client();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain("getProductById");
    expect(names).toContain("shop-two__getProductById");
    expect(names).toContain("shop-two__searchProducts");
    const routed = await client.callTool({ name: "shop-two__getProductById", arguments: { id: "123" } });
    expect((routed.structuredContent as { id: string }).id).toBe("123");
    expect((await stack.gw.admin("DELETE", "/delete/shop-two")).status).toBe(200);
  });
});

describe("a backend that is down", () => {
  test("keeps its tools listed and fails calls quickly with a result naming the service", async () => {
    await stack.shopping.stop();
    try {
      const client = await stack.gw.client();
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("getProductById");
      const result = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain("shopping-service");
      const other = await client.callTool({ name: "getUserById", arguments: { id: "456" } });
      expect(other.isError).toBeFalsy();
      const health = await json(await stack.gw.admin("GET", "/health"));
      expect(health.backends.find((b: { name: string }) => b.name === "shopping-service").status).toBe("down");
    } finally {
      await stack.shopping.start();
    }
    const client = await stack.gw.client();
    const back = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
    expect(back.isError).toBeFalsy();
  });
});

describe("bootstrap and restart", () => {
  test("GATEWAY_SERVICES registers services, and a restarted gateway keeps registrations", async () => {
    const boot = bootstrapServices({
      services: [{ name: "booted-user", url: stack.user.url }],
      registry: stack.gw.gateway.registry,
      log: silentLogger,
    });
    await boot.done;
    const second = await startGateway({ database: stack.database, versionStore: await createTestVersionStore() });
    try {
      const names = (await (await second.client()).listTools()).tools.map((t) => t.name);
      expect(names).toContain("booted-user__getUserById");
      expect(names).toContain("getProductById");
    } finally {
      await second.stop();
    }
  });

  test("bootstrap retries a service that is not up yet", async () => {
    await stack.user.stop();
    const boot = bootstrapServices({
      services: [{ name: "late-user", url: stack.user.url }],
      registry: stack.gw.gateway.registry,
      log: silentLogger,
      initialDelayMs: 20,
      maxDelayMs: 100,
    });
    await Bun.sleep(150);
    await stack.user.start();
    await boot.done;
    const list = await json(await stack.gw.admin("GET", "/services"));
    expect(list.services.map((s: { name: string }) => s.name)).toContain("late-user");
  });
});

describe("health", () => {
  test("reports the database, version store and catalog", async () => {
    const health = await json(await stack.gw.admin("GET", "/health"));
    expect(health.status).toBe("ok");
    expect(health.database).toBe("up");
    expect(health.catalog.tools).toBeGreaterThan(0);
  });
});
