import { Hono } from "hono";
import { createAdminAuth } from "./access/admin-auth.ts";
import type { CatalogViews } from "./access/catalog-views.ts";
import { createVirtualServerRoutes } from "./access/virtual-server-routes.ts";
import type { VirtualServers } from "./access/virtual-servers.ts";
import { createAdminRoutes } from "./admin/admin-routes.ts";
import { createOpenApiRoutes } from "./admin/openapi.ts";
import { createOperatorRoutes } from "./admin/operator-routes.ts";
import type { AuditLog } from "./audit/audit-log.ts";
import { createAuditRoutes } from "./audit/audit-routes.ts";
import type { Catalog } from "./catalog/catalog.ts";
import { loadConsoleAssets } from "./console/console-assets.ts";
import { createConsoleRoutes } from "./console/console-routes.ts";
import type { BackendPool } from "./federation/backend-pool.ts";
import { loopRefusal, refuseLoops } from "./federation/gateway-hop.ts";
import { createGovernanceRoutes } from "./governance/governance-routes.ts";
import type { ToolGovernance } from "./governance/tool-governance-service.ts";
import { createHealthRoutes } from "./health/health-routes.ts";
import { createErrorHandler, errorBody } from "./http-error.ts";
import { type ApiKeyRoutesDeps, createApiKeyRoutes } from "./identity/api-key-routes.ts";
import type { McpAuth } from "./identity/mcp-auth.ts";
import { createProtectedResourceRoutes, type ProtectedResources } from "./identity/protected-resource.ts";
import type { Logger } from "./logger.ts";
import type { GatewayMcpDeps } from "./mcp/gateway-mcp-server.ts";
import type { HeldCalls } from "./mcp/held-calls.ts";
import { createHostCheck } from "./mcp/host-guard.ts";
import { createMcpLane } from "./mcp/mcp-lane.ts";
import { createMcpRoutes } from "./mcp/mcp-routes.ts";
import type { RequestStates } from "./mcp/request-state.ts";
import type { GatewayMetrics } from "./observability/metrics.ts";
import { createMetricsRoutes } from "./observability/metrics-routes.ts";
import type { RequestContext } from "./observability/request-context.ts";
import { createRequestLog, requestLogging } from "./observability/request-logging.ts";
import type { Tracing } from "./observability/tracing.ts";
import type { RegistryService } from "./registry/registry-service.ts";
import type { McpSessions } from "./sessions/mcp-sessions.ts";
import type { ListenEvents } from "./subscriptions/listen-events.ts";
import type { ResourceUpdates } from "./subscriptions/resource-updates.ts";

export interface AppDeps {
  apiKey: string;
  /** Serve the console's prebuilt bundle when there is one (production), instead of bundling it. */
  prebuiltConsole?: boolean;
  /** The admin API's read-only key, when there is one. */
  viewerApiKey?: string;
  bearerToken: string;
  views: CatalogViews;
  virtualServers: VirtualServers;
  maxBodyBytes: number;
  bodyReadTimeoutMs: number;
  /** Most entries in one page of an MCP list (MCP_PAGE_SIZE). */
  pageSize: number;
  /** The gateway's request state of calls that backends answered with input-required (2026-07-28 clients). */
  requestStates: RequestStates;
  /** Calls of 2025 backends held open while a 2026-07-28 client answers what they asked. */
  heldCalls: HeldCalls;
  /** This deployment's loop marker (see gateway-hop.ts). */
  hopMarker: string;
  allowedHosts: readonly string[];
  registry: RegistryService;
  governance: ToolGovernance;
  catalog: Catalog;
  pool: BackendPool;
  pingDatabase: () => Promise<void>;
  versionStore: { kind: string; degraded: () => boolean };
  log: Logger;
  metrics: GatewayMetrics;
  requestContext: RequestContext;
  onToolCall?: GatewayMcpDeps["onToolCall"];
  /** The caller's rate limits, checked before each tool call. */
  admit?: GatewayMcpDeps["admit"];
  /** Where admin changes and tool calls are recorded; other modules record theirs with `audit.record`. */
  audit: AuditLog;
  /** Traces of MCP requests; undefined when OTEL_EXPORTER_OTLP_ENDPOINT is not set. */
  tracing?: Tracing;
  /** Stateful MCP sessions; undefined when they are off. */
  sessions?: McpSessions;
  /** What `subscriptions/listen` streams of 2026-07-28 clients are sent. */
  listen: ListenEvents;
  /** Clients' subscriptions to resources. */
  resourceUpdates: ResourceUpdates;
  /** The auth middleware of the MCP endpoints. */
  mcpAuth: McpAuth;
  /** The MCP endpoints as OAuth protected resources; undefined when OAuth is off. */
  protectedResources?: ProtectedResources;
  apiKeyAdmin: Omit<ApiKeyRoutesDeps, "auth" | "log">;
}

export interface GatewayApp {
  app: Hono;
  /** Ends the console's event streams, which only the client would otherwise close (graceful shutdown). */
  endStreams(): void;
}

/** The gateway's HTTP surface; every dependency is passed in, so tests build it from real parts. */
export function createApp(deps: AppDeps): GatewayApp {
  const app = new Hono();
  const logging = {
    log: deps.log,
    context: deps.requestContext,
    metrics: deps.metrics,
    quietRoutes: ["/health", "/metrics"],
  };
  const onError = createErrorHandler(deps.log);
  // First, so that its access line and metrics cover every route, errors and not-found included.
  app.use(requestLogging(logging));
  app.onError(onError);
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
  app.use("/mcp", refuseLoops(deps.hopMarker));
  app.route("/", createHealthRoutes(deps));
  app.route("/", createMetricsRoutes(deps.metrics.registry));
  app.route("/", createOpenApiRoutes());
  if (deps.protectedResources) app.route("/", createProtectedResourceRoutes(deps.protectedResources));
  const mcp = createMcpRoutes({ ...deps, auth: deps.mcpAuth });
  app.route("/", mcp.routes);
  const lane = createMcpLane({
    requestLog: createRequestLog(logging),
    refuseLoop: loopRefusal(deps.hopMarker),
    checkHost: createHostCheck(deps.allowedHosts),
    auth: deps.mcpAuth,
    requestContext: deps.requestContext,
    serveMcp: mcp.serveMcp,
    onError,
  });
  // Every caller of the app, app.request() in tests included, gets POST /mcp from the lane.
  const honoFetch = app.fetch;
  app.fetch = (request, ...rest) => lane(request) ?? honoFetch(request, ...rest);
  const auth = createAdminAuth({ apiKey: deps.apiKey, viewerApiKey: deps.viewerApiKey }, deps.requestContext);
  app.route("/", createApiKeyRoutes({ ...deps.apiKeyAdmin, auth, log: deps.log, audit: deps.audit }));
  app.route(
    "/",
    createAdminRoutes({
      registry: deps.registry,
      auth,
      readToken: deps.bearerToken,
      backendState: (name) => deps.pool.state(name),
      governance: deps.governance,
    }),
  );
  app.route("/", createGovernanceRoutes({ governance: deps.governance, auth }));
  const operator = createOperatorRoutes({ catalog: deps.catalog, pool: deps.pool, auth });
  app.route("/", operator.app);
  app.route(
    "/",
    createConsoleRoutes(() => loadConsoleAssets({ prebuilt: deps.prebuiltConsole ?? false })),
  );
  app.route("/", createVirtualServerRoutes({ virtualServers: deps.virtualServers, auth }));
  app.route("/", createAuditRoutes({ audit: deps.audit, auth }));
  return { app, endStreams: () => operator.streams.close() };
}
