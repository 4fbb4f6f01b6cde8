import { afterEach, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, type FixtureOptions, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { silentLogger } from "../logger.ts";
import { type BackendPool, createBackendPool } from "./backend-pool.ts";
import { createHealthChecker } from "./health-checker.ts";

const CHECK_TIMEOUT_MS = 300;
const OPEN_MS = 100;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function backend(options?: FixtureOptions): FixtureBackend {
  const fixture = startFixtureBackend(() => new McpServer({ name: "fixture", version: "1.0.0" }), options);
  cleanups.push(() => fixture.stop());
  return fixture;
}

/** A pool with the given services and a checker over it, whose rounds the test runs itself. */
function poolWith(services: Record<string, string>) {
  const pool = createBackendPool({
    connectTimeoutMs: 1000,
    callTimeoutMs: 1000,
    circuit: { failureThreshold: 2, openMs: OPEN_MS },
    log: silentLogger,
  });
  pool.sync(
    Object.entries(services).map(([name, url]) => ({ name, url, headers: { Authorization: `Bearer ${TEST_BEARER}` } })),
  );
  cleanups.push(() => pool.close());
  const checker = createHealthChecker({ pool, intervalMs: 20, timeoutMs: CHECK_TIMEOUT_MS, log: silentLogger });
  cleanups.push(async () => checker.stop());
  return { pool, checker };
}

function stateOf(pool: BackendPool, service: string) {
  const state = pool.state(service);
  if (!state) throw new Error(`${service} is not in the pool`);
  return state;
}

describe("health checks", () => {
  test("a service registered by base URL is checked with GET /health, one with a path by an MCP ping", async () => {
    const byBase = backend();
    const byPath = backend();
    const { pool, checker } = poolWith({ base: byBase.url, path: `${byPath.url}/mcp` });

    await checker.checkAll();

    expect(stateOf(pool, "base")).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
    expect(stateOf(pool, "base").lastCheckAt).toBeString();
    expect(byBase.paths).toEqual(["/health"]);
    expect(stateOf(pool, "path").status).toBe("up");
    expect(byPath.paths).not.toContain("/health");
    expect(byPath.paths).toContain("/mcp");
  });

  test("a base URL without a /health route falls back to an MCP ping", async () => {
    const noHealthRoute = backend({
      intercept: (r) => (new URL(r.url).pathname === "/health" ? new Response("no", { status: 404 }) : undefined),
    });
    const { pool, checker } = poolWith({ svc: noHealthRoute.url });
    await checker.checkAll();
    expect(stateOf(pool, "svc").status).toBe("up");
    expect(noHealthRoute.paths[0]).toBe("/health");
    expect(noHealthRoute.paths).toContain("/mcp");
  });

  test("a health route that redirects is a failure, and the redirect is not followed", async () => {
    const elsewhere = backend();
    const redirecting = backend({
      intercept: (r) =>
        new URL(r.url).pathname === "/health" ? Response.redirect(`${elsewhere.url}/health`, 302) : undefined,
    });
    const { pool, checker } = poolWith({ svc: redirecting.url });
    await checker.checkAll();
    expect(stateOf(pool, "svc").status).toBe("down");
    expect(stateOf(pool, "svc").lastError).toContain("redirect");
    expect(elsewhere.paths).toEqual([]);
  });

  test("MCP requests to a backend do not follow redirects either", async () => {
    const elsewhere = backend();
    const redirecting = backend({
      intercept: (r) =>
        new URL(r.url).pathname === "/mcp" ? Response.redirect(`${elsewhere.url}/mcp`, 307) : undefined,
    });
    const { pool } = poolWith({ svc: `${redirecting.url}/mcp` });
    await expect(pool.request("svc", "tools/list", {})).rejects.toThrow(/unavailable/);
    expect(elsewhere.paths).toEqual([]);
  });

  test("an unhealthy answer and a hung health route are failures, each check bounded by its timeout", async () => {
    const unhealthy = backend({
      intercept: (r) => (new URL(r.url).pathname === "/health" ? new Response("busy", { status: 503 }) : undefined),
    });
    const hung = backend({
      intercept: (r) => (new URL(r.url).pathname === "/health" ? new Promise<Response>(() => {}) : undefined),
    });
    const { pool, checker } = poolWith({ unhealthy: unhealthy.url, hung: hung.url });

    await checker.checkAll();

    expect(stateOf(pool, "unhealthy")).toMatchObject({
      status: "down",
      lastError: "health check answered HTTP 503",
      consecutiveFailures: 1,
    });
    expect(stateOf(pool, "hung")).toMatchObject({
      status: "down",
      lastError: `health check got no answer within ${CHECK_TIMEOUT_MS} ms`,
    });
  });

  test("failed checks open the circuit, which then holds checks back until the cool-down; a good check closes it", async () => {
    const fixture = backend();
    const { pool, checker } = poolWith({ svc: fixture.url });
    await fixture.stop();

    await checker.checkAll();
    await checker.checkAll();
    const opened = stateOf(pool, "svc");
    expect(opened).toMatchObject({
      status: "down",
      circuit: "open",
      consecutiveFailures: 2,
      lastError: "connection refused",
    });

    // While open, a round sends nothing: the count of failures and the time of the last check stand still.
    await checker.checkAll();
    expect(stateOf(pool, "svc")).toMatchObject({
      circuit: "open",
      consecutiveFailures: 2,
      lastCheckAt: opened.lastCheckAt,
    });

    fixture.start();
    await Bun.sleep(OPEN_MS);
    await checker.checkAll();
    expect(stateOf(pool, "svc")).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
    expect(fixture.paths).toEqual(["/health"]);
  });

  test("runs on its interval once started, and not after it is stopped", async () => {
    const fixture = backend();
    const { checker } = poolWith({ svc: fixture.url });
    checker.start();
    await eventually(() => fixture.paths.length >= 3);
    checker.stop();
    const seen = fixture.paths.length;
    await Bun.sleep(100);
    // A round that was under way when stop() came may still land; none starts after it.
    expect(fixture.paths.length).toBeLessThanOrEqual(seen + 1);
  });
});
