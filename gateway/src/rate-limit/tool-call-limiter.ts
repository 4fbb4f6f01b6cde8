/**
 * Rate limits on tool calls, per identity and optionally per identity and tool, over fixed one-minute
 * windows. The counters live in Redis when the gateway has one, so every replica counts against the same
 * budget; otherwise in this process (one replica, the embedded defaults).
 *
 * Only tools/call is counted: it is what costs a backend something, while lists, initialize and pings are
 * answered from memory, and an SDK client sends several of those on connecting, which would make a
 * small limit unusable for reasons the caller cannot see.
 *
 * The limiter fails open: when Redis cannot be reached a call goes through, with a warning in the log
 * (once per outage) and a metric per call, because refusing every call would turn a cache outage into
 * a gateway outage.
 */

import { ProtocolError } from "@modelcontextprotocol/server";
import type { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Identity } from "../identity/identity.ts";
import type { Logger } from "../logger.ts";
import { RATE_LIMITED } from "../mcp/json-rpc-errors.ts";
import { withinTime } from "../within-time.ts";

const WINDOW_SECONDS = 60;
const REDIS_TIMEOUT_MS = 1_000;
const MAX_RECONNECT_DELAY_MS = 1_000;

export interface RateLimitSettings {
  /** Tool calls a minute per identity unless the identity carries its own limit; 0 is no limit. */
  perMinute: number;
  /** Tool calls a minute per identity on each tool named here (gateway tool names). */
  tools: Record<string, number>;
}

type RateLimitScope = "identity" | "tool";

/** A refused call: a JSON-RPC error whose data says when to try again (also sent as HTTP Retry-After where possible). */
class RateLimitedError extends ProtocolError {
  constructor(
    readonly scope: RateLimitScope,
    readonly limit: number,
    readonly retryAfterSeconds: number,
    tool: string,
  ) {
    const what = scope === "tool" ? `calls of "${tool}"` : "tool calls";
    super(RATE_LIMITED, `Rate limit exceeded: at most ${limit} ${what} a minute; try again in ${retryAfterSeconds} s`, {
      scope,
      limit,
      retryAfterSeconds,
    });
  }
}

/** True when `error` is a JSON-RPC error object the limiter produced. */
export function isRateLimitedError(error: { code: number }): boolean {
  return error.code === RATE_LIMITED;
}

export interface ToolCallLimiterDeps {
  settings: RateLimitSettings;
  /** Counters are shared through this Redis server; without one they are in-process. */
  redisUrl?: string;
  keyPrefix: string;
  log: Logger;
  metrics: Registry;
}

export interface ToolCallLimiter {
  readonly kind: "redis" | "memory";
  /**
   * Counts one call of `tool` by `identity`; rejects with RateLimitedError when that exceeds a limit.
   * Undefined when no limit applies to the call, which then has nothing to wait for.
   */
  admit(identity: Identity | undefined, tool: string): Promise<void> | undefined;
  close(): Promise<void>;
}

export async function createToolCallLimiter({
  settings,
  redisUrl,
  keyPrefix,
  log,
  metrics,
}: ToolCallLimiterDeps): Promise<ToolCallLimiter> {
  const registers = [metrics];
  const refused = new Counter({
    name: "mcp_gateway_rate_limited_total",
    help: "Tool calls refused by a rate limit, by the limit's scope (identity, tool).",
    labelNames: ["scope"] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: "mcp_gateway_rate_limit_store_errors_total",
    help: "Tool calls let through unchecked because the rate limit store could not be reached.",
    registers,
  });
  // Connected before the first call, which would otherwise be let through unchecked (and counted as an
  // outage) while the connection is made; a server that does not answer in time is an outage from the start.
  const client = redisUrl ? await openRedis(redisUrl) : undefined;
  const limiters = new Map<string, RateLimiterAbstract>();
  let outage = false;

  const limiter = (scope: RateLimitScope, points: number): RateLimiterAbstract => {
    const id = `${scope}:${points}`;
    let existing = limiters.get(id);
    if (existing) return existing;
    // One key space per scope whatever the limit, so replicas that disagree on a limit still share counts.
    const options = { points, duration: WINDOW_SECONDS, keyPrefix: `${keyPrefix}ratelimit:${scope}` };
    existing = client
      ? new RateLimiterRedis({ ...options, storeClient: client, rejectIfRedisNotReady: true })
      : new RateLimiterMemory(options);
    limiters.set(id, existing);
    return existing;
  };

  const consume = async (scope: RateLimitScope, limit: number, key: string, tool: string): Promise<void> => {
    try {
      await limiter(scope, limit).consume(key);
      if (outage) {
        outage = false;
        log.info("rate limit store reachable again; limits apply");
      }
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        refused.inc({ scope });
        throw new RateLimitedError(scope, limit, Math.max(1, Math.ceil(error.msBeforeNext / 1000)), tool);
      }
      storeErrors.inc();
      if (!outage) {
        outage = true;
        log.warn("rate limit store unreachable; letting tool calls through unchecked", { error });
      }
    }
  };

  return {
    kind: redisUrl ? "redis" : "memory",
    admit(identity, tool) {
      if (!identity) return undefined;
      const perIdentity = identity.rateLimitPerMinute ?? settings.perMinute;
      const perTool = settings.tools[tool] ?? 0;
      if (perIdentity <= 0 && perTool <= 0) return undefined;
      return (async () => {
        if (perIdentity > 0) await consume("identity", perIdentity, identity.subject, tool);
        if (perTool > 0) await consume("tool", perTool, `${identity.subject}:${tool}`, tool);
      })();
    },
    async close() {
      if (!client) return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

async function openRedis(url: string): Promise<Redis> {
  // Imported only with a Redis server: a single replica would otherwise hold ioredis in memory for nothing.
  const { Redis } = await import("ioredis");
  const client = new Redis(url, {
    connectTimeout: REDIS_TIMEOUT_MS,
    commandTimeout: REDIS_TIMEOUT_MS,
    // Commands sent as the connection drops fail rather than wait for it to come back.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  });
  // Failures surface on the commands, where admit() handles them; the event needs a listener only so
  // that it does not crash the process.
  client.on("error", () => {});
  // Not ready in time: calls go through unchecked until it is, as during any outage.
  await withinTime(new Promise((ready) => client.once("ready", ready)), REDIS_TIMEOUT_MS).catch(() => {});
  return client;
}
