import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { captureLog } from "../../test/support/captured-log.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { startTestStack, TEST_API_KEY, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";
import { sampleValue } from "../../test/support/metrics-samples.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const { log, lines, entries: logEntries } = captureLog();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ register: ["shopping"], log });
});
afterAll(() => stack?.stop());

async function scrape(): Promise<string> {
  const res = await fetch(`${stack.gw.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return res.text();
}

function mcpCall(body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.gw.url}/mcp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_BEARER}`, ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...body }),
  });
}

describe("GET /metrics", () => {
  test("counts routed tool calls by service, tool and outcome", async () => {
    const client = await stack.gw.client();
    expect((await client.callTool({ name: "getProductById", arguments: { id: "123" } })).isError).toBeFalsy();
    expect((await client.callTool({ name: "getProductById", arguments: { id: "101" } })).isError).toBeFalsy();
    expect((await client.callTool({ name: "getProductById", arguments: { id: "no-such-product" } })).isError).toBe(
      true,
    );
    expect((await client.callTool({ name: "searchProducts", arguments: { query: "chair" } })).isError).toBeFalsy();

    const text = await scrape();
    const calls = (tool: string, outcome: string) =>
      sampleValue(text, "mcp_gateway_tool_calls_total", { service: "shopping-service", tool, outcome });
    expect(calls("getProductById", "ok")).toBe(2);
    expect(calls("getProductById", "tool_error")).toBe(1);
    expect(calls("searchProducts", "ok")).toBe(1);
    expect(
      sampleValue(text, "mcp_gateway_tool_call_duration_seconds_count", {
        service: "shopping-service",
        tool: "getProductById",
      }),
    ).toBe(3);
    expect(sampleValue(text, "mcp_gateway_backend_up", { service: "shopping-service" })).toBe(1);
    expect(sampleValue(text, "mcp_gateway_backend_circuit_state", { service: "shopping-service" })).toBe(1);
    expect(
      sampleValue(text, "mcp_gateway_backend_circuit_state", { service: "shopping-service", state: "closed" }),
    ).toBe(1);
  });

  test("counts HTTP requests by route pattern and status, never by raw path", async () => {
    expect((await stack.gw.admin("PUT", "/update/shopping-service")).status).toBe(200);
    expect((await stack.gw.admin("PUT", "/update/no-such-service")).status).toBe(404);
    expect((await fetch(`${stack.gw.url}/some/random/path`)).status).toBe(404);

    const text = await scrape();
    const requests = (labels: Record<string, string>) => sampleValue(text, "mcp_gateway_http_requests_total", labels);
    expect(requests({ method: "PUT", route: "/update/:name", status: "200" })).toBe(1);
    expect(requests({ method: "PUT", route: "/update/:name", status: "404" })).toBe(1);
    expect(requests({ method: "GET", route: "(unmatched)", status: "404" })).toBe(1);
    expect(requests({ method: "POST", route: "/register", status: "201" })).toBe(1);
    expect(requests({ method: "POST", route: "/mcp", status: "200" })).toBeGreaterThanOrEqual(4);
    expect(text).not.toContain("no-such-service");
    expect(text).not.toContain("/some/random/path");
  });

  test("the catalog version gauge is the version the catalog serves", async () => {
    const text = await scrape();
    const snapshot = stack.gw.gateway.catalog.snapshot();
    expect(snapshot.version).toBeGreaterThan(0);
    expect(sampleValue(text, "mcp_gateway_catalog_version")).toBe(snapshot.version);
    expect(sampleValue(text, "mcp_gateway_catalog_tools")).toBe(snapshot.tools.length);
    expect(sampleValue(text, "mcp_gateway_catalog_reloads_total")).toBeGreaterThanOrEqual(2);
  });

  test("shows no credential", async () => {
    const text = await scrape();
    expect(text).not.toContain(TEST_API_KEY);
    expect(text).not.toContain(TEST_BEARER);
  });
});

describe("request ids", () => {
  test("an acceptable X-Request-Id is echoed", async () => {
    const res = await fetch(`${stack.gw.url}/health`, { headers: { "X-Request-Id": "client-trace_42.a" } });
    expect(res.headers.get("x-request-id")).toBe("client-trace_42.a");
  });

  test("one is generated when missing or unacceptable", async () => {
    const missing = (await fetch(`${stack.gw.url}/health`)).headers.get("x-request-id");
    const unacceptable = await fetch(`${stack.gw.url}/health`, { headers: { "X-Request-Id": "has spaces; and=more" } });
    const tooLong = await fetch(`${stack.gw.url}/health`, { headers: { "X-Request-Id": "a".repeat(129) } });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(missing).toMatch(uuid);
    expect(unacceptable.headers.get("x-request-id")).toMatch(uuid);
    expect(tooLong.headers.get("x-request-id")).toMatch(uuid);
    expect(new Set([missing, unacceptable.headers.get("x-request-id"), tooLong.headers.get("x-request-id")]).size).toBe(
      3,
    );
  });

  test("errors and unmatched routes carry one too", async () => {
    const unauthorized = await fetch(`${stack.gw.url}/register`, {
      method: "POST",
      headers: { "X-Request-Id": "denied-1" },
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("x-request-id")).toBe("denied-1");
    const missing = await fetch(`${stack.gw.url}/nowhere`, { headers: { "X-Request-Id": "lost-1" } });
    expect(missing.headers.get("x-request-id")).toBe("lost-1");
  });
});

describe("request ids at the backends", () => {
  test("a routed call sends the gateway's request id to the backend", async () => {
    const seen: (string | null)[] = [];
    const fixture = startFixtureBackend(
      () => {
        const server = new McpServer({ name: "traced", version: "1.0.0" });
        server.registerTool("traceMe", { description: "answers ok" }, async () => ({
          content: [{ type: "text", text: "ok" }],
        }));
        return server;
      },
      {
        intercept: (request) => {
          if (new URL(request.url).pathname === "/mcp") seen.push(request.headers.get("x-request-id"));
          return undefined;
        },
      },
    );
    try {
      expect((await stack.gw.admin("POST", "/register", { name: "traced", url: fixture.url })).status).toBe(201);
      seen.length = 0;
      const res = await mcpCall(
        { method: "tools/call", params: { name: "traceMe", arguments: {} } },
        { "X-Request-Id": "trace-abc-123" },
      );
      expect(res.status).toBe(200);
      expect(seen).toContain("trace-abc-123");
    } finally {
      expect((await stack.gw.admin("DELETE", "/delete/traced")).status).toBe(200);
      await fixture.stop();
    }
  });
});

describe("access log", () => {
  test("one line per request with method, route, status, duration and request id", async () => {
    await fetch(`${stack.gw.url}/services`, {
      headers: { "X-API-Key": TEST_API_KEY, "X-Request-Id": "list-services-1" },
    });
    const access = logEntries().filter((e) => e.msg === "request" && e.requestId === "list-services-1");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: "info",
      method: "GET",
      route: "/services",
      path: "/services",
      status: 200,
    });
    expect(typeof access[0]!.durationMs).toBe("number");
  });

  test("health checks and scrapes are logged at debug", async () => {
    await fetch(`${stack.gw.url}/health`, { headers: { "X-Request-Id": "probe-1" } });
    await fetch(`${stack.gw.url}/metrics`, { headers: { "X-Request-Id": "scrape-1" } });
    const levels = logEntries()
      .filter((e) => e.msg === "request" && (e.requestId === "probe-1" || e.requestId === "scrape-1"))
      .map((e) => e.level);
    expect(levels).toEqual(["debug", "debug"]);
  });

  test("lines written while serving a tool call carry its request id", async () => {
    const res = await mcpCall(
      { method: "tools/call", params: { name: "getProductById", arguments: { id: "123" } } },
      { "X-Request-Id": "tool-call-1" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("tool-call-1");
    const mine = logEntries().filter((e) => e.requestId === "tool-call-1");
    expect(mine.find((e) => e.msg === "tool call")).toMatchObject({
      service: "shopping-service",
      tool: "getProductById",
      outcome: "ok",
    });
    expect(mine.find((e) => e.msg === "request")).toMatchObject({ method: "POST", route: "/mcp", status: 200 });
  });

  test("never contains the API key or the bearer token", async () => {
    await fetch(`${stack.gw.url}/services`, {
      headers: { "X-API-Key": TEST_API_KEY, "X-Request-Id": "secret-check-1" },
    });
    await fetch(`${stack.gw.url}/services`, {
      headers: { "X-API-Key": "a-wrong-key", "X-Request-Id": "secret-check-2" },
    });
    await mcpCall({ method: "tools/list" }, { "X-Request-Id": "secret-check-3" });
    await mcpCall(
      { method: "tools/list" },
      { Authorization: "Bearer a-wrong-token", "X-Request-Id": "secret-check-4" },
    );
    const ids = new Set(logEntries().map((e) => e.requestId));
    for (const id of ["secret-check-1", "secret-check-2", "secret-check-3", "secret-check-4"])
      expect(ids).toContain(id);
    const all = lines.join("\n");
    for (const secret of [TEST_API_KEY, TEST_BEARER, "a-wrong-key", "a-wrong-token"]) expect(all).not.toContain(secret);
  });
});
