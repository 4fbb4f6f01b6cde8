/**
 * Gateways and plain MCP requests as the benchmark sections use them: an in-process gateway built by
 * createGateway and served like main.ts serves it, with the configuration's defaults.
 */
import { serve } from "@mcp-federation/mcp-http";
import type { Server } from "bun";
import type { VersionStore } from "../src/catalog/version-store.ts";
import { type GatewayConfig, parseConfig } from "../src/config.ts";
import { createGateway, type Gateway } from "../src/gateway.ts";
import { createLogger } from "../src/logger.ts";
import type { RegistryDatabase } from "../src/registry/database.ts";

/** What an unconfigured gateway runs with, so the figures are those of a default deployment. */
export const BENCH_CONFIG: GatewayConfig = parseConfig({});

/**
 * For registries seeded with services that do not exist: probing a thousand dead backends every few
 * seconds would fill the log, and the measurements with work that is not theirs. One page holds the whole
 * tool list, as the naive baseline sends it; `PAGED_SEEDED_REGISTRY_CONFIG` keeps the default page size.
 */
const SEEDED_REGISTRY_DEFAULTS = { HEALTH_CHECK_INTERVAL_MS: "0" };
export const SEEDED_REGISTRY_ENV = { ...SEEDED_REGISTRY_DEFAULTS, MCP_PAGE_SIZE: "1000000" };
export const SEEDED_REGISTRY_CONFIG: GatewayConfig = parseConfig(SEEDED_REGISTRY_ENV);
export const PAGED_SEEDED_REGISTRY_CONFIG: GatewayConfig = parseConfig(SEEDED_REGISTRY_DEFAULTS);

/** The resource URI of the OAuth-enabled bench gateway (section 1); its tokens only need to name it. */
export const BENCH_OAUTH_AUDIENCE = "http://bench.gateway.test/mcp";

/** Warnings and errors reach stderr, where they cannot garble the results table. */
export const benchLog = createLogger({
  level: "warn",
  json: false,
  write: (line) => process.stderr.write(`${line}\n`),
});

export interface BenchGateway {
  url: string;
  mcpUrl: string;
  gateway: Gateway;
  stop(): Promise<void>;
}

export async function startBenchGateway(
  parts: { database: RegistryDatabase; versionStore: VersionStore },
  config: GatewayConfig = BENCH_CONFIG,
): Promise<BenchGateway> {
  const gateway = await createGateway(config, { log: benchLog, ...parts });
  let server: Server<undefined>;
  try {
    server = serve(gateway.app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    mcpUrl: `${url}/mcp`,
    gateway,
    async stop() {
      await server.stop(true);
      await gateway.close();
    },
  };
}

/** The Accept header of SDK clients: they take a JSON answer or an event stream. */
const SDK_ACCEPT = "application/json, text/event-stream";

/**
 * A bare JSON-RPC tools/list over HTTP, as a client that already initialised sends it. Without
 * `acceptEncoding`, fetch asks for compressed answers by itself.
 */
export function postToolsList(
  mcpUrl: string,
  id: number,
  options: { acceptEncoding?: string; cursor?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Accept: SDK_ACCEPT,
    Authorization: `Bearer ${BENCH_CONFIG.bearerToken}`,
  };
  if (options.acceptEncoding) headers["Accept-Encoding"] = options.acceptEncoding;
  const params = options.cursor === undefined ? {} : { params: { cursor: options.cursor } };
  return fetch(mcpUrl, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", ...params }),
  });
}

/** Registers a service through the admin API, as an operator would. */
export async function registerService(gatewayUrl: string, name: string, url: string): Promise<void> {
  const response = await fetch(`${gatewayUrl}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": BENCH_CONFIG.apiKey },
    body: JSON.stringify({ name, url }),
  });
  if (response.status !== 201)
    throw new Error(`registering ${name} answered ${response.status}: ${await response.text()}`);
}

/** A tools/list answer's page, whether it came as JSON or as one server-sent event. */
export function toolPageOf(body: string): { names: string[]; nextCursor?: string } {
  const json = body.startsWith("{") ? body : (/^data: (.*)$/m.exec(body)?.[1] ?? "");
  const message = JSON.parse(json) as { result?: { tools?: { name: string }[]; nextCursor?: string } };
  if (!message.result?.tools) throw new Error(`not a tools/list result: ${body.slice(0, 200)}`);
  return { names: message.result.tools.map((t) => t.name), nextCursor: message.result.nextCursor };
}

/** The names in a tools/list answer, whether it came as JSON or as one server-sent event. */
export function toolNamesOf(body: string): string[] {
  return toolPageOf(body).names;
}
