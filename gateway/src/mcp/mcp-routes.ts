import { handleStatelessMcp } from "@mcp-federation/mcp-http";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { Hono } from "hono";
import { type Authenticate, identityAuth, staticTokenAuthenticator } from "../identity/authenticate.ts";
import type { RequestContext } from "../observability/request-context.ts";
import type { McpSessions, SessionCallContext } from "../sessions/mcp-sessions.ts";
import { createSessionEndpoint } from "../sessions/session-endpoint.ts";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";
import { hostGuard } from "./host-guard.ts";
import { createMcpFastPath } from "./mcp-fast-path.ts";

export interface McpRoutesDeps extends Omit<GatewayMcpDeps, "jsonSchemaValidator" | "session"> {
  bearerToken: string;
  /** Turns a request's credential into its caller's Identity; by default only the static bearer token is known. */
  authenticate?: Authenticate;
  requestContext: RequestContext;
  maxBodyBytes: number;
  /** Host names besides local ones that may reach /mcp (DNS rebinding protection). */
  allowedHosts: readonly string[];
  /** Stateful sessions next to the stateless mode; undefined when MCP_SESSIONS=off. */
  sessions?: McpSessions;
}

/** `/mcp`: the federated MCP endpoint; any replica can answer any request, of a session or not. */
export function createMcpRoutes(deps: McpRoutesDeps): Hono {
  const app = new Hono();
  const authenticate = deps.authenticate ?? staticTokenAuthenticator(deps.bearerToken);
  app.use("/mcp", hostGuard(deps.allowedHosts), identityAuth(authenticate, deps.requestContext));
  const serverDeps = { ...deps, jsonSchemaValidator: new AjvJsonSchemaValidator() };
  const createServer = (session?: SessionCallContext) => createGatewayMcpServer({ ...serverDeps, session });
  const answer = createMcpFastPath(deps);
  const { sessions, maxBodyBytes } = deps;
  const endpoint = sessions
    ? createSessionEndpoint({ sessions, createServer, answer, maxBodyBytes })
    : (request: Request) => handleStatelessMcp(request, () => createServer(), { maxBodyBytes, answer });
  app.all("/mcp", (c) => endpoint(c.req.raw));
  return app;
}
