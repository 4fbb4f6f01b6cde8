/**
 * The gateway's configuration, parsed once from the environment. Nothing else reads `process.env`.
 */
import { z } from "zod";

const DEFAULT_API_KEY = "mcp-api-key-123";
const DEFAULT_BEARER_TOKEN = "mcp-token-123";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const commaList = optionalString.transform((v) =>
  v === undefined
    ? []
    : v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
);

const servicesList = optionalString.transform((v, ctx) => {
  if (v === undefined) return [];
  const entries: { name: string; url: string }[] = [];
  for (const item of v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = item.indexOf("=");
    if (at <= 0) {
      ctx.addIssue({ code: "custom", message: `expected name=url, got "${item}"` });
      return z.NEVER;
    }
    entries.push({ name: item.slice(0, at).trim(), url: item.slice(at + 1).trim() });
  }
  return entries;
});

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  API_KEY: z.string().min(1).default(DEFAULT_API_KEY),
  MCP_BEARER_TOKEN: z.string().min(1).default(DEFAULT_BEARER_TOKEN),
  BACKEND_BEARER_TOKEN: optionalString,
  DATABASE_URL: optionalString,
  DB_HOST: optionalString,
  DB_PORT: z.coerce.number().int().min(1).max(65535).default(5432),
  DB_USERNAME: optionalString,
  DB_PASSWORD: optionalString,
  DB_DATABASE: optionalString,
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(50).default(5_000),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(50).default(5_000),
  PGLITE_DIR: z.string().min(1).default(".data/pglite"),
  REDIS_URL: optionalString,
  UPSTASH_REDIS_REST_URL: optionalString,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  REDIS_KEY_PREFIX: z.string().default("mcp:"),
  CATALOG_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  CATALOG_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(50).default(10_000),
  GATEWAY_SERVICES: servicesList,
  TOOL_CALL_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  BACKEND_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  HEALTH_CHECK_TIMEOUT_MS: z.coerce.number().int().min(1).default(2_000),
  CIRCUIT_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  CIRCUIT_OPEN_MS: z.coerce.number().int().min(1).default(10_000),
  BACKEND_ALLOWLIST: commaList,
  ALLOWED_HOSTS: commaList,
  SECRETS_KEY: optionalString,
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  MCP_PAGE_SIZE: z.coerce.number().int().min(1).default(1000),
  MAX_SERVICE_LIST_ITEMS: z.coerce.number().int().min(1).default(1000),
  MAX_SERVICE_LIST_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  MCP_SESSIONS: z.enum(["on", "off"]).default("on"),
  MCP_SESSION_SECRET: optionalString,
  MCP_SESSION_TTL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(24 * 60 * 60 * 1000),
});

export type GatewayEnv = z.infer<typeof envSchema>;

export interface GatewayConfig {
  nodeEnv: GatewayEnv["NODE_ENV"];
  port: number;
  logLevel: GatewayEnv["LOG_LEVEL"];
  apiKey: string;
  bearerToken: string;
  /** Token sent to backends that have no credentials of their own. */
  backendBearerToken: string;
  /**
   * `queryTimeoutMs` bounds each statement on the server and each admin request's wait for the
   * database, so a hung server gets a 503 rather than a hung request; `connectTimeoutMs` bounds opening
   * a connection.
   */
  database: { url?: string; pgliteDir: string; poolMax: number; queryTimeoutMs: number; connectTimeoutMs: number };
  versionStore: { redisUrl?: string; upstashUrl?: string; upstashToken?: string; keyPrefix: string };
  catalogPollIntervalMs: number;
  /**
   * How often each replica compares the database's change count with its catalog's and reloads on a
   * difference: the bound on how long a replica can serve a catalog the version store failed to tell it of.
   */
  catalogReconcileIntervalMs: number;
  bootstrapServices: { name: string; url: string }[];
  toolCallTimeoutMs: number;
  backendConnectTimeoutMs: number;
  healthCheckIntervalMs: number;
  /** Longest a single health check may take. */
  healthCheckTimeoutMs: number;
  /** Consecutive failures (calls or checks) after which a backend's circuit opens. */
  circuitFailureThreshold: number;
  /** How long an open circuit refuses calls before one trial may go through. */
  circuitOpenMs: number;
  backendAllowlist: string[];
  allowedHosts: string[];
  secretsKey?: string;
  maxBodyBytes: number;
  /** Most entries in one page of tools/list, resources/list, resources/templates/list and prompts/list. */
  mcpPageSize: number;
  /** What one service may list: entries per list, and bytes of JSON across its lists. */
  serviceListLimits: { maxItems: number; maxBytes: number };
  /**
   * Stateful MCP sessions (MCP_SESSIONS). Ids are sealed with `secret`; without one the gateway derives
   * it from API_KEY and MCP_BEARER_TOKEN, so replicas configured alike accept each other's ids.
   */
  mcpSessions: { enabled: boolean; secret?: string; ttlMs: number };
}

/** Builds a Postgres URL from the design's DB_* variables, with the credentials URL-encoded. */
function databaseUrlFromParts(env: GatewayEnv): string | undefined {
  if (!env.DB_HOST) return undefined;
  const user = env.DB_USERNAME ? encodeURIComponent(env.DB_USERNAME) : "postgres";
  const password = env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : "";
  const database = encodeURIComponent(env.DB_DATABASE ?? "mcp_registry");
  return `postgres://${user}${password}@${env.DB_HOST}:${env.DB_PORT}/${database}`;
}

export class ConfigError extends Error {}

/** Parses and checks the environment. Throws ConfigError with every problem listed. */
export function parseConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(z.prettifyError(parsed.error));
  const e = parsed.data;
  if (e.NODE_ENV === "production") {
    const problems: string[] = [];
    if (e.API_KEY === DEFAULT_API_KEY) problems.push("API_KEY is the public default; set a secret value");
    if (e.MCP_BEARER_TOKEN === DEFAULT_BEARER_TOKEN)
      problems.push("MCP_BEARER_TOKEN is the public default; set a secret value");
    if (problems.length > 0)
      throw new ConfigError(`Refusing to start with NODE_ENV=production:\n- ${problems.join("\n- ")}`);
  }
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    apiKey: e.API_KEY,
    bearerToken: e.MCP_BEARER_TOKEN,
    backendBearerToken: e.BACKEND_BEARER_TOKEN ?? e.MCP_BEARER_TOKEN,
    database: {
      url: e.DATABASE_URL ?? databaseUrlFromParts(e),
      pgliteDir: e.PGLITE_DIR,
      poolMax: e.DB_POOL_MAX,
      queryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    },
    versionStore: {
      redisUrl: e.REDIS_URL,
      upstashUrl: e.UPSTASH_REDIS_REST_URL,
      upstashToken: e.UPSTASH_REDIS_REST_TOKEN,
      keyPrefix: e.REDIS_KEY_PREFIX,
    },
    catalogPollIntervalMs: e.CATALOG_POLL_INTERVAL_MS,
    catalogReconcileIntervalMs: e.CATALOG_RECONCILE_INTERVAL_MS,
    bootstrapServices: e.GATEWAY_SERVICES,
    toolCallTimeoutMs: e.TOOL_CALL_TIMEOUT_MS,
    backendConnectTimeoutMs: e.BACKEND_CONNECT_TIMEOUT_MS,
    healthCheckIntervalMs: e.HEALTH_CHECK_INTERVAL_MS,
    healthCheckTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
    circuitFailureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
    circuitOpenMs: e.CIRCUIT_OPEN_MS,
    backendAllowlist: e.BACKEND_ALLOWLIST,
    allowedHosts: e.ALLOWED_HOSTS,
    secretsKey: e.SECRETS_KEY,
    maxBodyBytes: e.MAX_BODY_BYTES,
    mcpPageSize: e.MCP_PAGE_SIZE,
    serviceListLimits: { maxItems: e.MAX_SERVICE_LIST_ITEMS, maxBytes: e.MAX_SERVICE_LIST_BYTES },
    mcpSessions: { enabled: e.MCP_SESSIONS === "on", secret: e.MCP_SESSION_SECRET, ttlMs: e.MCP_SESSION_TTL_MS },
  };
}

/** For main.ts: parse `process.env`, or print why not and exit. */
export function loadConfig(): GatewayConfig {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Invalid gateway configuration:\n${error.message}`);
    process.exit(1);
  }
}
