import { handleStatelessMcp } from "@mcp-federation/mcp-http";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { type Context, Hono } from "hono";
import type { CatalogViews } from "../access/catalog-views.ts";
import { type Authenticate, type IdentityVariables, identityAuth } from "../access/identity-auth.ts";
import type { CatalogView } from "../catalog/catalog.ts";
import { IDENTITY_VARIABLE } from "../identity/identity.ts";
import type { RequestContext } from "../observability/request-context.ts";
import type { McpSessions, SessionCallContext } from "../sessions/mcp-sessions.ts";
import { createSessionEndpoint } from "../sessions/session-endpoint.ts";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";
import { hostGuard } from "./host-guard.ts";
import { createMcpFastPath } from "./mcp-fast-path.ts";

export interface McpRoutesDeps extends Omit<GatewayMcpDeps, "jsonSchemaValidator" | "session"> {
  /** Turns a request's credential into the caller's identity. */
  authenticate: Authenticate;
  /** Each caller's view of the catalog, of all of it or of a virtual server. */
  views: CatalogViews;
  requestContext: Pick<RequestContext, "setIdentity">;
  maxBodyBytes: number;
  bodyReadTimeoutMs: number;
  /** Host names besides local ones that may reach /mcp (DNS rebinding protection). */
  allowedHosts: readonly string[];
  /** Stateful sessions next to the stateless mode; undefined when MCP_SESSIONS=off. */
  sessions?: McpSessions;
}

/**
 * `/mcp`, the federated MCP endpoint, and `/servers/<name>/mcp`, one per virtual server: the same
 * endpoint, each serving the caller's view of its catalog. Any replica can answer any request, of a
 * session or not.
 */
export function createMcpRoutes(deps: McpRoutesDeps): Hono<{ Variables: IdentityVariables }> {
  const app = new Hono<{ Variables: IdentityVariables }>();
  const guard = [hostGuard(deps.allowedHosts), identityAuth(deps.authenticate, deps.requestContext)] as const;
  app.use("/mcp", ...guard);
  app.use("/servers/:name/mcp", ...guard);
  const serverDeps = { ...deps, jsonSchemaValidator: new AjvJsonSchemaValidator() };
  const fastPath = createMcpFastPath(deps);
  const { sessions, maxBodyBytes, bodyReadTimeoutMs } = deps;
  const serve = (request: Request, catalog: CatalogView) => {
    const createServer = (session?: SessionCallContext) => createGatewayMcpServer({ ...serverDeps, catalog, session });
    const answer = fastPath(catalog);
    return sessions
      ? createSessionEndpoint({ sessions, createServer, answer, maxBodyBytes, bodyReadTimeoutMs })(request)
      : handleStatelessMcp(request, () => createServer(), { maxBodyBytes, bodyReadTimeoutMs, answer });
  };
  const identity = (c: Context<{ Variables: IdentityVariables }>) => c.get(IDENTITY_VARIABLE);
  app.all("/mcp", (c) => serve(c.req.raw, deps.views.whole(identity(c))));
  app.all("/servers/:name/mcp", (c) => {
    const name = c.req.param("name");
    const view = deps.views.server(identity(c), name);
    if (view) return serve(c.req.raw, view);
    return c.json(
      { jsonrpc: "2.0", error: { code: -32001, message: `No virtual server named "${name}"` }, id: null },
      404,
    );
  });
  return app;
}
