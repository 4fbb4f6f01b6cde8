import { Hono } from "hono";
import { createAdminRoutes } from "./admin/admin-routes.ts";
import { createOpenApiRoutes } from "./admin/openapi.ts";
import type { Catalog } from "./catalog/catalog.ts";
import type { BackendPool } from "./federation/backend-pool.ts";
import { refuseLoops } from "./federation/gateway-hop.ts";
import { createHealthRoutes } from "./health/health-routes.ts";
import { createErrorHandler, errorBody } from "./http-error.ts";
import type { Logger } from "./logger.ts";
import type { GatewayMcpDeps } from "./mcp/gateway-mcp-server.ts";
import { createMcpRoutes } from "./mcp/mcp-routes.ts";
import type { GatewayMetrics } from "./observability/metrics.ts";
import { createMetricsRoutes } from "./observability/metrics-routes.ts";
import type { RequestContext } from "./observability/request-context.ts";
import { requestLogging } from "./observability/request-logging.ts";
import type { RegistryService } from "./registry/registry-service.ts";
import type { McpSessions } from "./sessions/mcp-sessions.ts";

export interface AppDeps {
  apiKey: string;
  bearerToken: string;
  maxBodyBytes: number;
  /** Most entries in one page of an MCP list (MCP_PAGE_SIZE). */
  pageSize: number;
  /** This deployment's loop marker (see gateway-hop.ts). */
  hopMarker: string;
  allowedHosts: readonly string[];
  registry: RegistryService;
  catalog: Catalog;
  pool: BackendPool;
  pingDatabase: () => Promise<void>;
  versionStore: { kind: string; degraded: () => boolean };
  log: Logger;
  metrics: GatewayMetrics;
  requestContext: RequestContext;
  onToolCall?: GatewayMcpDeps["onToolCall"];
  /** Stateful MCP sessions; undefined when they are off. */
  sessions?: McpSessions;
}

/** The gateway's HTTP surface; every dependency is passed in, so tests build it from real parts. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  // First, so that its access line and metrics cover every route, errors and not-found included.
  app.use(
    requestLogging({
      log: deps.log,
      context: deps.requestContext,
      metrics: deps.metrics,
      quietRoutes: ["/health", "/metrics"],
    }),
  );
  app.onError(createErrorHandler(deps.log));
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
  app.use("/mcp", refuseLoops(deps.hopMarker));
  app.route("/", createHealthRoutes(deps));
  app.route("/", createMetricsRoutes(deps.metrics.registry));
  app.route("/", createOpenApiRoutes());
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
