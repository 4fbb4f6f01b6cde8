/**
 * The gateway's configuration, parsed once from the environment. Nothing else reads `process.env`.
 */
import { z } from "zod";
import { type AccessPolicy, DEFAULT_ADMIN_ROLE, DEFAULT_ADMIN_SCOPE } from "./access/access-policy.ts";
import { type AuditSettings, DEFAULT_AUDIT_SETTINGS } from "./audit/audit-log.ts";
import type { CallLimits } from "./federation/backend-pool.ts";
import { DEFAULT_CLIENT_BACKEND_SESSIONS } from "./federation/client-backend-sessions.ts";
import { DEFAULT_LIST_REFETCH_INTERVAL_MS } from "./federation/list-refetches.ts";
import type { TracingSettings } from "./observability/tracing.ts";
import type { RateLimitSettings } from "./rate-limit/tool-call-limiter.ts";

const DEFAULT_API_KEY = "mcp-api-key-123";
const DEFAULT_BEARER_TOKEN = "mcp-token-123";
/** What the demo services require (their MCP_BEARER_TOKEN default), so the design's examples work as written. */
const DEMO_BACKEND_TOKEN = "mcp-token-123";
const PUBLIC_DEFAULTS = new Set([DEFAULT_API_KEY, DEFAULT_BEARER_TOKEN, DEMO_BACKEND_TOKEN]);
/** Shortest secret production accepts: anything shorter can be guessed. */
const MIN_SECRET_LENGTH = 16;
const DEFAULT_OAUTH_SCOPE = "mcp:tools";

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

const toolLimits = commaList.transform((items, ctx) => {
  const limits: Record<string, number> = {};
  for (const item of items) {
    const match = /^([^=\s]+)\s*=\s*(\d+)$/.exec(item);
    if (!match) {
      ctx.addIssue({ code: "custom", message: `expected tool=calls-per-minute, got "${item}"` });
      return z.NEVER;
    }
    limits[match[1] as string] = Number(match[2]);
  }
  return limits;
});

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  API_KEY: z.string().min(1).default(DEFAULT_API_KEY),
  MCP_BEARER_TOKEN: z.string().min(1).default(DEFAULT_BEARER_TOKEN),
  VIEWER_API_KEY: optionalString,
  ACCESS_ADMIN_SCOPE: z.string().min(1).default(DEFAULT_ADMIN_SCOPE),
  ACCESS_ADMIN_ROLE: z.string().min(1).default(DEFAULT_ADMIN_ROLE),
  MCP_STATIC_TOKEN: z.enum(["on", "off"]).default("on"),
  PUBLIC_URL: optionalString.pipe(z.url().optional()),
  OAUTH_ISSUER: optionalString.pipe(z.url().optional()),
  OAUTH_AUDIENCE: optionalString,
  OAUTH_SCOPES: optionalString.transform((v) => (v ?? DEFAULT_OAUTH_SCOPE).split(/[\s,]+/).filter(Boolean)),
  OAUTH_ROLES_CLAIM: z.string().min(1).default("roles"),
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
  LIST_REFETCH_INTERVAL_MS: z.coerce.number().int().min(0).default(DEFAULT_LIST_REFETCH_INTERVAL_MS),
  GATEWAY_SERVICES: servicesList,
  TOOL_CALL_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  TOOL_CALL_MAX_DURATION_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 60 * 1000),
  TOOL_RESULT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  BACKEND_MAX_CONCURRENT_CALLS: z.coerce.number().int().min(1).default(32),
  BACKEND_MAX_WAITING_CALLS: z.coerce.number().int().min(0).default(64),
  // Bun's own variable: the sockets its fetch holds for the whole process. Read here to size the gateway's share of them.
  BUN_CONFIG_MAX_HTTP_REQUESTS: z.coerce.number().int().min(8).max(65_535).default(256),
  BACKEND_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  HEALTH_CHECK_TIMEOUT_MS: z.coerce.number().int().min(1).default(2_000),
  CIRCUIT_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  CIRCUIT_OPEN_MS: z.coerce.number().int().min(1).default(10_000),
  BACKEND_ALLOWLIST: commaList,
  STDIO_COMMANDS: commaList,
  STDIO_RESTART_MAX_MS: z.coerce.number().int().min(1).default(30_000),
  ALLOWED_HOSTS: commaList,
  SECRETS_KEY: optionalString,
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  BODY_READ_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
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
  MCP_CLIENT_BACKEND_SESSIONS_MAX: z.coerce.number().int().min(0).default(DEFAULT_CLIENT_BACKEND_SESSIONS.max),
  MCP_CLIENT_BACKEND_SESSION_IDLE_MS: z.coerce.number().int().min(1000).default(DEFAULT_CLIENT_BACKEND_SESSIONS.idleMs),
  DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_TOOLS: toolLimits,
  AUDIT_BATCH_SIZE: z.coerce.number().int().min(1).default(DEFAULT_AUDIT_SETTINGS.batchSize),
  AUDIT_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).default(DEFAULT_AUDIT_SETTINGS.flushIntervalMs),
  AUDIT_BUFFER_SIZE: z.coerce.number().int().min(1).default(DEFAULT_AUDIT_SETTINGS.bufferSize),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).default(DEFAULT_AUDIT_SETTINGS.retentionDays),
  // OTLP over HTTP: a bare host:port would parse as a URL with the host for its scheme.
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  OTEL_SERVICE_NAME: z.string().min(1).default("mcp-gateway"),
});

export type GatewayEnv = z.infer<typeof envSchema>;

export interface GatewayConfig {
  nodeEnv: GatewayEnv["NODE_ENV"];
  port: number;
  logLevel: GatewayEnv["LOG_LEVEL"];
  apiKey: string;
  /** A read-only admin API key; undefined when there is none. */
  viewerApiKey?: string;
  bearerToken: string;
  /** Which identities may use everything on the MCP endpoints (see access/access-policy.ts). */
  access: AccessPolicy;
  /**
   * Token sent to backends that have no credentials of their own; never the clients' token. Undefined in
   * production unless BACKEND_BEARER_TOKEN is set: then only registrations with headers send any.
   */
  backendBearerToken?: string;
  /** Whether MCP_BEARER_TOKEN is accepted on the MCP endpoints (MCP_STATIC_TOKEN). */
  staticTokenEnabled: boolean;
  /** Where clients reach this gateway; the base of its OAuth resource URIs. */
  publicUrl: string;
  /** OAuth resource server settings; undefined when OAUTH_ISSUER is not set. */
  oauth?: OAuthSettings;
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
  /**
   * Least time between two pulls of one service's lists that its list_changed announcements cause:
   * announcements within it are merged into one pull at its end.
   */
  listRefetchIntervalMs: number;
  bootstrapServices: { name: string; url: string }[];
  toolCallTimeoutMs: number;
  /**
   * What one call may take and hold: its longest duration whatever its progress, its largest answer,
   * and the slots for calls per backend and over all backends.
   */
  callLimits: CallLimits;
  backendConnectTimeoutMs: number;
  healthCheckIntervalMs: number;
  /** Longest a single health check may take. */
  healthCheckTimeoutMs: number;
  /** Consecutive failures (calls or checks) after which a backend's circuit opens. */
  circuitFailureThreshold: number;
  /** How long an open circuit refuses calls before one trial may go through. */
  circuitOpenMs: number;
  backendAllowlist: string[];
  /** Commands stdio backends may run; empty: stdio backends are refused. */
  stdioCommands: string[];
  /** Longest delay before a dead stdio backend process is started again (the delay doubles up to it). */
  stdioRestartMaxMs: number;
  allowedHosts: string[];
  secretsKey?: string;
  maxBodyBytes: number;
  /** Longest wait for an /mcp request body to arrive in full. */
  bodyReadTimeoutMs: number;
  /** Most entries in one page of tools/list, resources/list, resources/templates/list and prompts/list. */
  mcpPageSize: number;
  /** What one service may list: entries per list, and bytes of JSON across its lists. */
  serviceListLimits: { maxItems: number; maxBytes: number };
  /**
   * Stateful MCP sessions (MCP_SESSIONS). Ids are sealed with `secret`; without one the gateway derives
   * it from API_KEY and MCP_BEARER_TOKEN, so replicas configured alike accept each other's ids.
   */
  mcpSessions: { enabled: boolean; secret?: string; ttlMs: number };
  /**
   * Backend sessions of their own for clients with a session (MCP_CLIENT_BACKEND_SESSIONS_MAX, _IDLE_MS):
   * at most `max` on a replica, each closed after `idleMs` without use.
   */
  clientBackendSessions: { max: number; idleMs: number };
  /** After SIGTERM, how long /ready answers 503 while requests are still served, before draining. */
  drainGraceMs: number;
  /** Where and as what traces are exported; undefined (no tracing at all) when OTEL_EXPORTER_OTLP_ENDPOINT is not set. */
  tracing?: TracingSettings;
  /** Settings that work but are probably a mistake; main.ts logs them at start. */
  warnings: string[];
  /** Tool call limits per identity (RATE_LIMIT_PER_MINUTE) and per identity and tool (RATE_LIMIT_TOOLS). */
  rateLimit: RateLimitSettings;
  audit: AuditSettings;
}

export interface OAuthSettings {
  issuer: string;
  /** This gateway's resource URI, the `aud` its access tokens must carry (RFC 8707). */
  audience: string;
  /** Scopes a token needs on the MCP endpoints; advertised in the protected resource metadata. */
  scopes: string[];
  /** The access token claim that carries the caller's roles or groups. */
  rolesClaim: string;
  /** Least time between two fetches of the issuer's key set; 30 s unless a test shortens it. */
  jwksCooldownMs?: number;
}

/**
 * Builds a Postgres URL from the design's DB_* variables, with the credentials URL-encoded and an IPv6
 * host bracketed (`::1` would otherwise read as a host and a port).
 */
function databaseUrlFromParts(env: GatewayEnv): string | undefined {
  if (!env.DB_HOST) return undefined;
  const host = env.DB_HOST.includes(":") && !env.DB_HOST.startsWith("[") ? `[${env.DB_HOST}]` : env.DB_HOST;
  const user = env.DB_USERNAME ? encodeURIComponent(env.DB_USERNAME) : "postgres";
  const password = env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : "";
  const database = encodeURIComponent(env.DB_DATABASE ?? "mcp_registry");
  return `postgres://${user}${password}@${host}:${env.DB_PORT}/${database}`;
}

/**
 * Calls may hold three quarters of the sockets Bun's fetch has; the rest stay free for health checks,
 * handshakes, discovery and cancellations, so those never queue behind calls to backends that hang.
 */
function gatewayCallSlots(fetchSockets: number): number {
  return Math.floor((fetchSockets * 3) / 4);
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is the base of every signal's URL, as the OTLP exporter specification has it. */
function otlpSignalUrl(endpoint: string, signal: "traces"): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/${signal}`;
}

export class ConfigError extends Error {}

/** Parses and checks the environment. Throws ConfigError with every problem listed. */
export function parseConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(z.prettifyError(parsed.error));
  const e = parsed.data;
  if (e.VIEWER_API_KEY === e.API_KEY)
    throw new ConfigError("VIEWER_API_KEY must differ from API_KEY: with the same key a viewer would be an admin");
  const production = e.NODE_ENV === "production";
  if (production) {
    const problems = weakSecrets(e);
    if (problems.length > 0)
      throw new ConfigError(`Refusing to start with NODE_ENV=production:\n- ${problems.join("\n- ")}`);
  }
  const warnings: string[] = [];
  if (e.NODE_ENV === "production" && e.OAUTH_ISSUER && e.MCP_STATIC_TOKEN === "on")
    warnings.push(
      "MCP_BEARER_TOKEN grants full access next to OAuth; set MCP_STATIC_TOKEN=off unless a client still needs it",
    );
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    apiKey: e.API_KEY,
    viewerApiKey: e.VIEWER_API_KEY,
    bearerToken: e.MCP_BEARER_TOKEN,
    access: { adminScope: e.ACCESS_ADMIN_SCOPE, adminRole: e.ACCESS_ADMIN_ROLE },
    staticTokenEnabled: e.MCP_STATIC_TOKEN === "on",
    publicUrl,
    oauth: e.OAUTH_ISSUER
      ? {
          issuer: e.OAUTH_ISSUER,
          audience: e.OAUTH_AUDIENCE ?? `${publicUrl}/mcp`,
          scopes: e.OAUTH_SCOPES,
          rolesClaim: e.OAUTH_ROLES_CLAIM,
        }
      : undefined,
    backendBearerToken: e.BACKEND_BEARER_TOKEN ?? (production ? undefined : DEMO_BACKEND_TOKEN),
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
    listRefetchIntervalMs: e.LIST_REFETCH_INTERVAL_MS,
    bootstrapServices: e.GATEWAY_SERVICES,
    toolCallTimeoutMs: e.TOOL_CALL_TIMEOUT_MS,
    callLimits: {
      maxCallDurationMs: e.TOOL_CALL_MAX_DURATION_MS,
      maxAnswerBytes: e.TOOL_RESULT_MAX_BYTES,
      maxConcurrentCalls: e.BACKEND_MAX_CONCURRENT_CALLS,
      maxWaitingCalls: e.BACKEND_MAX_WAITING_CALLS,
      maxGatewayCalls: gatewayCallSlots(e.BUN_CONFIG_MAX_HTTP_REQUESTS),
    },
    backendConnectTimeoutMs: e.BACKEND_CONNECT_TIMEOUT_MS,
    healthCheckIntervalMs: e.HEALTH_CHECK_INTERVAL_MS,
    healthCheckTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
    circuitFailureThreshold: e.CIRCUIT_FAILURE_THRESHOLD,
    circuitOpenMs: e.CIRCUIT_OPEN_MS,
    backendAllowlist: e.BACKEND_ALLOWLIST,
    stdioCommands: e.STDIO_COMMANDS,
    stdioRestartMaxMs: e.STDIO_RESTART_MAX_MS,
    allowedHosts: e.ALLOWED_HOSTS,
    secretsKey: e.SECRETS_KEY,
    maxBodyBytes: e.MAX_BODY_BYTES,
    bodyReadTimeoutMs: e.BODY_READ_TIMEOUT_MS,
    mcpPageSize: e.MCP_PAGE_SIZE,
    serviceListLimits: { maxItems: e.MAX_SERVICE_LIST_ITEMS, maxBytes: e.MAX_SERVICE_LIST_BYTES },
    mcpSessions: { enabled: e.MCP_SESSIONS === "on", secret: e.MCP_SESSION_SECRET, ttlMs: e.MCP_SESSION_TTL_MS },
    clientBackendSessions: { max: e.MCP_CLIENT_BACKEND_SESSIONS_MAX, idleMs: e.MCP_CLIENT_BACKEND_SESSION_IDLE_MS },
    drainGraceMs: e.DRAIN_GRACE_MS,
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { tracesUrl: otlpSignalUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT, "traces"), serviceName: e.OTEL_SERVICE_NAME }
      : undefined,
    warnings,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, tools: e.RATE_LIMIT_TOOLS },
    audit: {
      batchSize: e.AUDIT_BATCH_SIZE,
      flushIntervalMs: e.AUDIT_FLUSH_INTERVAL_MS,
      bufferSize: e.AUDIT_BUFFER_SIZE,
      retentionDays: e.AUDIT_RETENTION_DAYS,
    },
  };
}

/** Why each secret of a production environment is unfit: too short, a public default, or shared with backends. */
function weakSecrets(e: GatewayEnv): string[] {
  const secrets: [string, string | undefined][] = [
    ["API_KEY", e.API_KEY],
    // Off, the static token opens nothing, so its value does not matter.
    ["MCP_BEARER_TOKEN", e.MCP_STATIC_TOKEN === "on" ? e.MCP_BEARER_TOKEN : undefined],
    ["BACKEND_BEARER_TOKEN", e.BACKEND_BEARER_TOKEN],
    ["MCP_SESSION_SECRET", e.MCP_SESSION_SECRET],
    ["SECRETS_KEY", e.SECRETS_KEY],
  ];
  const problems: string[] = [];
  for (const [name, value] of secrets) {
    if (value === undefined) continue;
    // Whitespace around a secret is no part of its strength (and headers lose it on the way).
    const trimmed = value.trim();
    if (PUBLIC_DEFAULTS.has(trimmed)) problems.push(`${name} is a public default; set a secret value`);
    else if (trimmed.length < MIN_SECRET_LENGTH)
      problems.push(`${name} is shorter than ${MIN_SECRET_LENGTH} characters; set a long random value`);
  }
  if (e.BACKEND_BEARER_TOKEN !== undefined && e.BACKEND_BEARER_TOKEN.trim() === e.MCP_BEARER_TOKEN.trim())
    problems.push("BACKEND_BEARER_TOKEN equals MCP_BEARER_TOKEN; backends must not hold the clients' token");
  return problems;
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
