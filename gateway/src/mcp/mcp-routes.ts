import { type Context, Hono } from "hono";
import type { CatalogViews } from "../access/catalog-views.ts";
import type { CatalogView } from "../catalog/catalog.ts";
import { IDENTITY_VARIABLE, type Identity } from "../identity/identity.ts";
import type { McpAuth } from "../identity/mcp-auth.ts";
import type { McpSessions, SessionCallContext } from "../sessions/mcp-sessions.ts";
import { createSessionEndpoint } from "../sessions/session-endpoint.ts";
import type { ListenEvents } from "../subscriptions/listen-events.ts";
import type { ResourceUpdates } from "../subscriptions/resource-updates.ts";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";
import { hostGuard } from "./host-guard.ts";
import { rpcErrorResponse, UNKNOWN_VIRTUAL_SERVER } from "./json-rpc-errors.ts";
import { legacyRevision } from "./legacy-revision.ts";
import { createMcpFastPath } from "./mcp-fast-path.ts";
import { createModernMcp, isModernRequest, type ModernMcpDeps } from "./modern-mcp.ts";
import { handleStatelessMcp } from "./sdk-endpoint.ts";

export interface McpRoutesDeps extends GatewayMcpDeps, Pick<ModernMcpDeps, "requestStates" | "heldCalls"> {
  /** Resolves the caller's Identity, or answers 401/403 (see identity/mcp-auth.ts). */
  auth: McpAuth;
  /** Each caller's view of the catalog, of all of it or of a virtual server. */
  views: CatalogViews;
  maxBodyBytes: number;
  bodyReadTimeoutMs: number;
  /** Host names besides local ones that may reach /mcp (DNS rebinding protection). */
  allowedHosts: readonly string[];
  /** What `subscriptions/listen` streams of 2026-07-28 clients are sent. */
  listen: ListenEvents;
  /** Clients' subscriptions to resources, through sessions (2025) and listen streams (2026-07-28). */
  resourceUpdates: ResourceUpdates;
  /** Stateful sessions next to the stateless mode; undefined when MCP_SESSIONS=off. */
  sessions?: McpSessions;
}

/**
 * `/mcp`, the federated MCP endpoint, and `/servers/<name>/mcp`, one per virtual server: the same
 * endpoint, each serving the caller's view of its catalog. Any replica can answer any request, of a
 * session or not.
 */
export interface McpRoutes {
  routes: Hono;
  /** `/mcp` for a caller whose credential is checked, without Hono's routing (app.ts's direct lane). */
  serveMcp(request: Request, identity: Identity): Promise<Response>;
}

export function createMcpRoutes(deps: McpRoutesDeps): McpRoutes {
  const app = new Hono();
  app.use("/mcp", hostGuard(deps.allowedHosts), deps.auth("/mcp"));
  app.use(
    "/servers/:name/mcp",
    hostGuard(deps.allowedHosts),
    deps.auth((c) => c.req.path),
  );
  const { sessions, maxBodyBytes, bodyReadTimeoutMs, tracing } = deps;
  // Updates reach a 2025 client on its session's GET stream: without sessions there is none.
  const resourceUpdates = sessions ? deps.resourceUpdates : undefined;
  const fastPath = createMcpFastPath(deps);
  const modern = createModernMcp(deps);
  const untraced = (request: Request, catalog: CatalogView) => {
    const createServer = (session?: SessionCallContext) =>
      createGatewayMcpServer({ ...deps, catalog }, legacyRevision({ session, resourceUpdates }));
    const fastAnswer = fastPath(catalog);
    // Every parsed body passes here first, on the fast path and the SDK's alike: where its span learns its method,
    // and where the protocol revision is told apart. 2025 requests go on as before, sessions included.
    const answer: typeof fastAnswer = (message, req, session) => {
      tracing?.describe(message);
      if (isModernRequest(req, message)) return modern(req, message, catalog);
      return fastAnswer(message, req, session);
    };
    return sessions
      ? createSessionEndpoint({ sessions, createServer, answer, maxBodyBytes, bodyReadTimeoutMs })(request)
      : handleStatelessMcp(request, () => createServer(), { maxBodyBytes, bodyReadTimeoutMs, answer });
  };
  const serve = tracing
    ? (request: Request, catalog: CatalogView) => tracing.serve(request, () => untraced(request, catalog))
    : untraced;
  const identity = (c: Context) => c.get(IDENTITY_VARIABLE);
  const serveMcp = (request: Request, caller: Identity) => serve(request, deps.views.whole(caller));
  app.all("/mcp", (c) => serveMcp(c.req.raw, identity(c)));
  app.all("/servers/:name/mcp", (c) => {
    const name = c.req.param("name");
    const view = deps.views.server(identity(c), name);
    if (view) return serve(c.req.raw, view);
    return rpcErrorResponse(404, UNKNOWN_VIRTUAL_SERVER, `No virtual server named "${name}"`);
  });
  return { routes: app, serveMcp };
}
