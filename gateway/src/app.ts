import { Hono } from "hono";
import { createAdminRoutes } from "./admin/admin-routes.ts";
import { createOpenApiRoutes } from "./admin/openapi.ts";
import type { Catalog } from "./catalog/catalog.ts";
import type { BackendPool } from "./federation/backend-pool.ts";
import { createHealthRoutes } from "./health/health-routes.ts";
import { createErrorHandler, errorBody } from "./http-error.ts";
import { type ApiKeyRoutesDeps, createApiKeyRoutes } from "./identity/api-key-routes.ts";
import type { McpAuth } from "./identity/mcp-auth.ts";
import { createProtectedResourceRoutes, type ProtectedResources } from "./identity/protected-resource.ts";
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
  /** The auth middleware of the MCP endpoints. */
  mcpAuth: McpAuth;
  /** The MCP endpoints as OAuth protected resources; undefined when OAuth is off. */
  protectedResources?: ProtectedResources;
  apiKeyAdmin: Omit<ApiKeyRoutesDeps, "apiKey" | "log">;
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
  app.route("/", createHealthRoutes(deps));
  app.route("/", createMetricsRoutes(deps.metrics.registry));
  app.route("/", createOpenApiRoutes());
  if (deps.protectedResources) app.route("/", createProtectedResourceRoutes(deps.protectedResources));
  app.route("/", createMcpRoutes({ ...deps, auth: deps.mcpAuth }));
  app.route("/", createApiKeyRoutes({ ...deps.apiKeyAdmin, apiKey: deps.apiKey, log: deps.log }));
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
