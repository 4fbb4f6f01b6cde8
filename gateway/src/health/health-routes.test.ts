/**
 * What `/health` tells whom, and that a secret in a backend URL's query string shows nowhere the gateway
 * answers or writes: /health, /services, error messages, metrics and the log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { captureLog } from "../../test/support/captured-log.ts";
import { startTestStack, TEST_API_KEY, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";
import { bootstrapServices } from "../registry/bootstrap.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const SECRET = "query-secret-0123456789";
const { log, lines } = captureLog();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ log });
  const registered = await stack.gw.admin("POST", "/register", {
    name: "keyed-shopping",
    url: `${stack.shopping.url}/?api_key=${SECRET}&region=eu`,
  });
  if (registered.status !== 201) throw new Error(`registering: ${registered.status} ${await registered.text()}`);
  await stack.gw.gateway.pool.check("keyed-shopping", 2000);
});
afterAll(() => stack?.stop());

const health = (headers: Record<string, string> = {}) => fetch(`${stack.gw.url}/health`, { headers });

describe("GET /health", () => {
  test("anonymous callers get the status only", async () => {
    const response = await health();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", service: "mcp-gateway" });
  });

  test.each([
    ["a wrong API key", { "X-API-Key": "not-the-key" }],
    ["a wrong bearer token", { Authorization: "Bearer not-the-token" }],
  ])("%s gets the anonymous answer, not an error", async (_, headers) => {
    expect(await (await health(headers)).json()).toEqual({ status: "ok", service: "mcp-gateway" });
  });

  test.each([
    ["the API key", { "X-API-Key": TEST_API_KEY }],
    ["the MCP bearer token", { Authorization: `Bearer ${TEST_BEARER}` }],
  ])("%s unlocks the details", async (_, headers) => {
    const body = (await (await health(headers)).json()) as { database: string; backends: { name: string }[] };
    expect(body.database).toBe("up");
    expect(body.backends.map((b) => b.name)).toContain("keyed-shopping");
  });
});

describe("a secret in a backend URL's query string", () => {
  test("is redacted in /health and /services, names kept", async () => {
    const detailed = await (await health({ "X-API-Key": TEST_API_KEY })).text();
    const services = await (await stack.gw.admin("GET", "/services")).text();
    for (const text of [detailed, services]) {
      expect(text).not.toContain(SECRET);
      expect(text).toContain("api_key=redacted&region=redacted");
    }
  });

  test("is redacted in error messages of registration", async () => {
    const moved = await stack.gw.admin("POST", "/register", {
      name: "keyed-shopping",
      url: `${stack.user.url}/?api_key=${SECRET}-other`,
    });
    expect(moved.status).toBe(409);
    const unreachable = await stack.gw.admin("POST", "/register", {
      name: "keyed-nowhere",
      url: `http://127.0.0.1:1/?api_key=${SECRET}`,
    });
    expect(unreachable.status).toBe(502);
    for (const text of [await moved.text(), await unreachable.text()]) {
      expect(text).not.toContain(SECRET);
    }
  });

  test("is never written to the log or the metrics", async () => {
    const boot = bootstrapServices({
      services: [{ name: "keyed-user", url: `${stack.user.url}/?api_key=${SECRET}` }],
      registry: stack.gw.gateway.registry,
      log,
    });
    await boot.done;
    const metrics = await (await fetch(`${stack.gw.url}/metrics`)).text();
    expect(metrics).not.toContain(SECRET);
    expect(lines.some((line) => line.includes("keyed-user"))).toBe(true);
    expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
  });
});
