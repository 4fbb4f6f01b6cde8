import { Hono } from "hono";
import type { Catalog } from "../catalog/catalog.ts";
import type { BackendPool } from "../federation/backend-pool.ts";

export interface HealthDeps {
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
 */
export function createHealthRoutes({
  catalog,
  pool,
  pingDatabase,
  versionStore,
  pingTimeoutMs = 1000,
}: HealthDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const database = await withTimeout(pingDatabase(), pingTimeoutMs).then(
      () => "up" as const,
      () => "down" as const,
    );
    const store = versionStore.degraded() ? "down" : "up";
    const snapshot = catalog.snapshot();
    return c.json({
      status: database === "up" && store === "up" ? "ok" : "degraded",
      service: "mcp-gateway",
      database,
      versionStore: { kind: versionStore.kind, status: store },
      catalog: { version: snapshot.version, services: snapshot.services.length, tools: snapshot.tools.length },
      backends: pool.states(),
    });
  });
  return app;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
