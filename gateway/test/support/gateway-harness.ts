/**
 * Starts a real gateway on an ephemeral port for tests, on the given test database and version store,
 * and connects SDK clients to it.
 */
import { serve } from "@mcp-federation/mcp-http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Server } from "bun";
import { createVersionStore, type VersionStore } from "../../src/catalog/version-store.ts";
import { createGateway, type Gateway, type GatewaySettings } from "../../src/gateway.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import type { RegistryDatabase } from "../../src/registry/database.ts";
import type { Resolve } from "../../src/security/url-policy.ts";
import type { SessionBus } from "../../src/sessions/session-bus.ts";
import { type BackendProcess, startBackend } from "./backend-process.ts";
import { testRedisUrl } from "./redis-server.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

export const TEST_API_KEY = "test-api-key";
export const TEST_BEARER = "mcp-token-123";

const TEST_SETTINGS: GatewaySettings = {
  apiKey: TEST_API_KEY,
  bearerToken: TEST_BEARER,
  backendBearerToken: TEST_BEARER,
  maxBodyBytes: 1024 * 1024,
  bodyReadTimeoutMs: 5_000,
  mcpPageSize: 1000,
  catalogPollIntervalMs: 100,
  catalogReconcileIntervalMs: 10_000,
  serviceListLimits: { maxItems: 1000, maxBytes: 5 * 1024 * 1024 },
  // Each test passes its own database; these bound its queries.
  database: { pgliteDir: "memory://", poolMax: 5, queryTimeoutMs: 5_000, connectTimeoutMs: 5_000 },
  toolCallTimeoutMs: 5_000,
  callLimits: {
    maxCallDurationMs: 60_000,
    maxAnswerBytes: 16 * 1024 * 1024,
    maxConcurrentCalls: 32,
    maxWaitingCalls: 64,
    maxGatewayCalls: 192,
  },
  backendConnectTimeoutMs: 2_000,
  // Off unless a test is about health checks, so that no timer touches the backends behind a test's back.
  healthCheckIntervalMs: 0,
  // Short, so that tests announcing several list changes in a row need not wait; list-change-flood.test.ts sets its own.
  listRefetchIntervalMs: 10,
  healthCheckTimeoutMs: 1_000,
  circuitFailureThreshold: 3,
  circuitOpenMs: 500,
  mcpSessions: { enabled: true, ttlMs: 60 * 60 * 1000 },
};

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  server: Server<undefined>;
  /** Admin request with the API key. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** An SDK client connected to this gateway's /mcp, with the static bearer token or `token`. */
  client(token?: string): Promise<Client>;
  stop(): Promise<void>;
}

export async function startGateway(options: {
  database: RegistryDatabase;
  versionStore: VersionStore;
  /** Shared by replicas in one test when there is no Redis (see replica-pair.ts). */
  sessionBus?: SessionBus;
  settings?: Partial<GatewaySettings>;
  log?: Logger;
  /** Fake DNS for the backend URL policy. */
  resolveHost?: Resolve;
  /** A port chosen beforehand, for settings that name the gateway's own URL (PUBLIC_URL); else any free one. */
  port?: number;
}): Promise<RunningGateway> {
  const gateway = await createGateway(
    { ...TEST_SETTINGS, ...options.settings },
    {
      log: options.log ?? silentLogger,
      database: options.database,
      versionStore: options.versionStore,
      sessionBus: options.sessionBus,
      resolveHost: options.resolveHost,
    },
  );
  // Served as main.ts serves it, so that what serve() refuses before the app is covered too.
  const server = serve(gateway.app.fetch, { port: options.port ?? 0, idleTimeoutSeconds: 0, handleSignals: false });
  const url = `http://127.0.0.1:${server.port}`;
  const clients: Client[] = [];
  return {
    url,
    gateway,
    server,
    admin: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: { "X-API-Key": TEST_API_KEY, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async client(token = TEST_BEARER) {
      const client = await connectClient(`${url}/mcp`, token);
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await server.stop(true);
      await gateway.close();
    },
  };
}

/** An SDK client of `mcpUrl`; every request it sends carries `headers` too. */
export async function connectClient(
  mcpUrl: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<Client> {
  const client = new Client({ name: "gateway-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { ...headers, Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** The text of a tool result's first content item. */
export function firstText(result: object): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  return content?.[0]?.text ?? "";
}

/**
 * A version store of its own for one test, chosen as the gateway chooses: on REDIS_URL when set (with a
 * private key prefix), else in-process.
 */
export function createTestVersionStore(prefix = `test:${crypto.randomUUID()}:`): Promise<VersionStore> {
  return createVersionStore({ redisUrl: testRedisUrl(), keyPrefix: prefix });
}

/** Registers each service (name → URL) through `gw`, in order; throws on any refusal. */
export async function registerServices(gw: RunningGateway, services: Record<string, string>): Promise<void> {
  for (const [name, url] of Object.entries(services)) {
    const response = await gw.admin("POST", "/register", { name, url });
    if (response.status !== 201) throw new Error(`registering ${name}: ${response.status} ${await response.text()}`);
  }
}

export type BackendName = "shopping" | "user";

/** A test database, a version store, both real backends and a gateway on them, for one test file. */
export interface TestStack {
  database: TestDatabase;
  versions: VersionStore;
  shopping: BackendProcess;
  user: BackendProcess;
  gw: RunningGateway;
  stop(): Promise<void>;
}

/**
 * Starts a test stack; the backends named in `register` are registered as `<name>-service` (as
 * `bun run dev` does), so the demo tools answer under their bare names.
 */
export async function startTestStack(
  options: { register?: BackendName[]; settings?: Partial<GatewaySettings>; log?: Logger; port?: number } = {},
): Promise<TestStack> {
  const [database, shopping, user] = await Promise.all([
    createTestDatabase(),
    startBackend("shopping"),
    startBackend("user"),
  ]);
  const versions = await createTestVersionStore();
  const gw = await startGateway({
    database,
    versionStore: versions,
    settings: options.settings,
    log: options.log,
    port: options.port,
  });
  const backends = { shopping, user };
  await registerServices(
    gw,
    Object.fromEntries((options.register ?? []).map((name) => [`${name}-service`, backends[name].url])),
  );
  return {
    database,
    versions,
    shopping,
    user,
    gw,
    async stop() {
      await gw.stop();
      await Promise.all([shopping.stop(), user.stop()]);
      await versions.close();
      await database.close();
    },
  };
}
