import { Hono } from "hono";
import { createAdminRoutes } from "./admin/admin-routes.ts";
import type { Catalog } from "./catalog/catalog.ts";
import type { BackendPool } from "./federation/backend-pool.ts";
import { createHealthRoutes } from "./health/health-routes.ts";
import { createErrorHandler, errorBody } from "./http-error.ts";
import type { Logger } from "./logger.ts";
import { createMcpRoutes } from "./mcp/mcp-routes.ts";
import type { RegistryService } from "./registry/registry-service.ts";

export interface AppDeps {
  apiKey: string;
  bearerToken: string;
  maxBodyBytes: number;
  registry: RegistryService;
  catalog: Catalog;
  pool: BackendPool;
  pingDatabase: () => Promise<void>;
  versionStore: { kind: string; degraded: () => boolean };
  log: Logger;
}

/** The gateway's HTTP surface; every dependency is passed in, so tests build it from real parts. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(createErrorHandler(deps.log));
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
  app.route("/", createHealthRoutes(deps));
  app.route("/", createMcpRoutes({ ...deps }));
  app.route(
    "/",
    createAdminRoutes({
      registry: deps.registry,
      apiKey: deps.apiKey,
      readToken: deps.bearerToken,
      backendState: (name) => deps.pool.state(name),
    }),
  );
  return app;
}
