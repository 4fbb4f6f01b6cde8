/**
 * Rate limits on tool calls, per identity and per identity and tool: in-process on one gateway, shared
 * through Redis by two replicas, and failing open while Redis is down. Callers are told apart by the
 * bearer token they present (the `authenticate` seam), and call over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { Registry } from "prom-client";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import {
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { sampleValue } from "../../test/support/metrics-samples.ts";
import { isRedisServerInstalled, startRedisServer, testRedisUrl } from "../../test/support/redis-server.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { GatewaySettings } from "../gateway.ts";
import { generateApiKeySecret, insertApiKey } from "../identity/api-keys.ts";
import type { Identity } from "../identity/identity.ts";
import { silentLogger } from "../logger.ts";
import { RATE_LIMITED } from "../mcp/json-rpc-errors.ts";
import { createToolCallLimiter, isRateLimitedError } from "./tool-call-limiter.ts";

/** The callers besides the static token: API keys stored before any gateway starts, so every one loads them. */
const KEYS = {
  "alice-token": { name: "alice" },
  "bob-token": { name: "bob", rateLimitPerMinute: 4 },
};
const secrets = new Map<string, string>();
const credential = (caller: string) => secrets.get(caller) ?? caller;

let database: TestDatabase;
let shopping: BackendProcess;
/** Stopped in order after the tests: gateways before their stores. */
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [database, shopping] = await Promise.all([createTestDatabase(), startBackend("shopping")]);
  for (const [caller, key] of Object.entries(KEYS)) {
    const secret = generateApiKeySecret();
    await insertApiKey(database.db, { ...key, scopes: ["mcp:tools", "mcp:admin"], roles: [] }, secret);
    secrets.set(caller, secret);
  }
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await shopping?.stop();
  await database?.close();
});

/** A gateway with the shopping service registered; its version store and limiter are Redis when `redisUrl` is given. */
async function gatewayWith(settings: Partial<GatewaySettings>, redisUrl?: string): Promise<RunningGateway> {
  const keyPrefix = settings.versionStore?.keyPrefix ?? `test:${crypto.randomUUID()}:`;
  const versionStore = await createTestVersionStore(keyPrefix);
  const gw = await startGateway({
    database,
    versionStore,
    settings: { ...settings, versionStore: { redisUrl, keyPrefix } },
  });
  cleanups.unshift(() => gw.stop().then(() => versionStore.close()));
  const registered = await gw.admin("POST", "/register", { name: "shopping-service", url: shopping.url });
  expect(registered.status).toBeOneOf([200, 201]);
  return gw;
}

/** A tools/call over plain HTTP, as the SDK client sends it. */
async function call(gw: RunningGateway, token: string, tool = "searchProducts") {
  const response = await fetch(`${gw.url}/mcp`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${credential(token)}`,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: tool, arguments: {} } }),
  });
  const body = (await response.json()) as {
    result?: unknown;
    error?: { code: number; message: string; data?: unknown };
  };
  return { status: response.status, retryAfter: response.headers.get("retry-after"), ...body };
}

async function statuses(gw: RunningGateway, token: string, count: number, tool?: string): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await call(gw, token, tool)).status);
  return seen;
}

describe("rate limits in one process", () => {
  test("refuse an identity's calls over the default limit with 429, Retry-After and a JSON-RPC error", async () => {
    const gw = await gatewayWith({ rateLimit: { perMinute: 2, tools: {} } });
    expect(await statuses(gw, "alice-token", 2)).toEqual([200, 200]);

    const refused = await call(gw, "alice-token");
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.error?.code).toBe(RATE_LIMITED);
    expect(refused.error?.message).toContain("Rate limit exceeded: at most 2 tool calls a minute");
    expect(refused.error?.data).toMatchObject({ scope: "identity", limit: 2 });

    // Another identity has a budget of its own.
    expect(await statuses(gw, TEST_BEARER, 2)).toEqual([200, 200]);
  });

  test("apply an identity's own limit instead of the default", async () => {
    const gw = await gatewayWith({ rateLimit: { perMinute: 2, tools: {} } });
    expect(await statuses(gw, "bob-token", 5)).toEqual([200, 200, 200, 200, 429]);
  });

  test("limit calls of one tool apart from the others", async () => {
    const gw = await gatewayWith({ rateLimit: { perMinute: 0, tools: { getProductById: 1 } } });
    expect(await statuses(gw, "alice-token", 2, "getProductById")).toEqual([200, 429]);
    expect((await call(gw, "alice-token", "getProductById")).error?.data).toMatchObject({ scope: "tool" });
    expect(await statuses(gw, "alice-token", 3, "searchProducts")).toEqual([200, 200, 200]);
    expect(await statuses(gw, "bob-token", 1, "getProductById")).toEqual([200]);
  });

  test("count no calls when no limit is set", async () => {
    const gw = await gatewayWith({});
    expect(await statuses(gw, "alice-token", 5)).toEqual([200, 200, 200, 200, 200]);
  });

  test("reach SDK clients as a JSON-RPC error on the SDK path too", async () => {
    const gw = await gatewayWith({ rateLimit: { perMinute: 1, tools: {} } });
    const client = await gw.client(credential("alice-token"));
    // A progress token sends the call down the SDK path, whose transport answers with a 200 event stream.
    const withProgress = { onprogress: () => {} };
    await client.callTool({ name: "searchProducts", arguments: {} }, undefined, withProgress);
    const refused = await client
      .callTool({ name: "searchProducts", arguments: {} }, undefined, withProgress)
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(RATE_LIMITED);
    expect((refused as McpError).code).not.toBe(ErrorCode.InternalError);
  });
});

describe.skipIf(!testRedisUrl())("rate limits on Redis", () => {
  test("are shared by two replicas", async () => {
    const keyPrefix = `test:${crypto.randomUUID()}:`;
    const settings = { rateLimit: { perMinute: 3, tools: {} }, versionStore: { keyPrefix } };
    const a = await gatewayWith(settings, testRedisUrl());
    const b = await gatewayWith(settings, testRedisUrl());
    expect((await call(a, "alice-token")).status).toBe(200);
    expect((await call(b, "alice-token")).status).toBe(200);
    expect((await call(a, "alice-token")).status).toBe(200);
    expect((await call(b, "alice-token")).status).toBe(429);
    expect((await call(a, "alice-token")).status).toBe(429);
  });
});

describe.skipIf(!isRedisServerInstalled())("a limiter on Redis", () => {
  test("applies limits from its first call: it is connected before it is handed out", async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const metrics = new Registry();
    const limiter = await createToolCallLimiter({
      settings: { perMinute: 1, tools: {} },
      redisUrl: redis.url,
      keyPrefix: `test:${crypto.randomUUID()}:`,
      log: silentLogger,
      metrics,
    });
    cleanups.unshift(() => limiter.close());
    const caller: Identity = { kind: "api-key", subject: "first-call", scopes: [], roles: [] };
    await limiter.admit(caller, "any_tool");
    expect(isRateLimitedError(await limiter.admit(caller, "any_tool")?.catch((e) => e))).toBe(true);
    expect(sampleValue(await metrics.metrics(), "mcp_gateway_rate_limit_store_errors_total")).toBe(0);
  });
});

describe.skipIf(!isRedisServerInstalled())("rate limits while Redis is down", () => {
  test("let calls through, counted in a metric, and apply again once it is back", async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const gw = await gatewayWith({ rateLimit: { perMinute: 1, tools: {} } }, redis.url);
    expect(await statuses(gw, "alice-token", 2)).toEqual([200, 429]);

    await redis.stop();
    expect(await statuses(gw, "alice-token", 3)).toEqual([200, 200, 200]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(sampleValue(metrics, "mcp_gateway_rate_limit_store_errors_total")).toBeGreaterThanOrEqual(3);

    await redis.restart();
    // Reconnecting takes a moment; calls go through unchecked until it has.
    const seen: number[] = [];
    for (let i = 0; i < 100 && !seen.includes(429); i++) {
      seen.push((await call(gw, "alice-token")).status);
      await Bun.sleep(20);
    }
    expect(seen).toContain(429);
  });
});

describe("admit", () => {
  const identity = (rateLimitPerMinute?: number): Identity => ({
    kind: "api-key",
    subject: `key-${crypto.randomUUID()}`,
    scopes: [],
    roles: [],
    rateLimitPerMinute,
  });

  test("gives a call no limit applies to nothing to wait for, and counts one a limit applies to", async () => {
    const limiter = await createToolCallLimiter({
      settings: { perMinute: 0, tools: { "shopping-service_getProductById": 1 } },
      keyPrefix: `test:${crypto.randomUUID()}:`,
      log: silentLogger,
      metrics: new Registry(),
    });
    cleanups.push(() => limiter.close());
    expect(limiter.admit(undefined, "shopping-service_getProductById")).toBeUndefined();
    const unlimited = identity();
    expect(limiter.admit(unlimited, "other_tool")).toBeUndefined();

    // The tool's own limit: one call a minute, then refused.
    await limiter.admit(unlimited, "shopping-service_getProductById");
    expect(isRateLimitedError(await limiter.admit(unlimited, "shopping-service_getProductById")?.catch((e) => e))).toBe(
      true,
    );
    // The identity's own limit applies to every tool.
    const limited = identity(1);
    await limiter.admit(limited, "other_tool");
    expect(isRateLimitedError(await limiter.admit(limited, "other_tool")?.catch((e) => e))).toBe(true);
  });
});
