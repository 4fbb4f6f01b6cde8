import { parseBearer, secretsEqual } from "@mcp-federation/mcp-http";
import { type Context, Hono } from "hono";
import type { Catalog } from "../catalog/catalog.ts";
import type { BackendPool } from "../federation/backend-pool.ts";
import { withinTime } from "../within-time.ts";

export interface HealthDeps {
  /** Credentials that unlock the details: the admin API key, or the MCP bearer token. */
  apiKey: string;
  bearerToken: string;
  catalog: Catalog;
  pool: BackendPool;
  /** Resolves when the registry database answers. */
  pingDatabase: () => Promise<void>;
  versionStore: { kind: string; degraded: () => boolean };
  pingTimeoutMs?: number;
}

/**
 * `GET /health`: the gateway keeps serving MCP from memory when a store is down, so it answers 200
 * with `degraded` and says which part is missing, rather than taking itself out of rotation.
 *
 * Anonymous callers (load balancers, compose healthchecks) get only the status: the details name every
 * backend and its state, which tell an outsider where the gateway reaches and make up/down an oracle for
 * probing. The details need `X-API-Key`, or the MCP bearer token, which already reads the same backends
 * and states through `GET /services`.
 */
export function createHealthRoutes({
  apiKey,
  bearerToken,
  catalog,
  pool,
  pingDatabase,
  versionStore,
  pingTimeoutMs = 1000,
}: HealthDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const database = await withinTime(pingDatabase(), pingTimeoutMs).then(
      () => "up" as const,
      () => "down" as const,
    );
    const store = versionStore.degraded() ? "down" : "up";
    const status = database === "up" && store === "up" ? "ok" : "degraded";
    if (!authorized(c, apiKey, bearerToken)) return c.json({ status, service: "mcp-gateway" });
    const snapshot = catalog.snapshot();
    return c.json({
      status,
      service: "mcp-gateway",
      database,
      versionStore: { kind: versionStore.kind, status: store },
      catalog: { version: snapshot.version, services: snapshot.services.length, tools: snapshot.tools.length },
      backends: pool.states(),
    });
  });
  return app;
}

function authorized(c: Context, apiKey: string, bearerToken: string): boolean {
  const key = c.req.header("x-api-key");
  if (key !== undefined && secretsEqual(key, apiKey)) return true;
  const bearer = parseBearer(c.req.header("authorization"));
  return bearer !== undefined && secretsEqual(bearer, bearerToken);
}
