import { handleStatelessMcp } from "@mcp-federation/mcp-http";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { Hono } from "hono";
import type { McpAuth } from "../identity/mcp-auth.ts";
import type { McpSessions, SessionCallContext } from "../sessions/mcp-sessions.ts";
import { createSessionEndpoint } from "../sessions/session-endpoint.ts";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";
import { hostGuard } from "./host-guard.ts";
import { createMcpFastPath } from "./mcp-fast-path.ts";

export interface McpRoutesDeps extends Omit<GatewayMcpDeps, "jsonSchemaValidator" | "session"> {
  /** Resolves the caller's Identity, or answers 401/403 (see identity/mcp-auth.ts). */
  auth: McpAuth;
  maxBodyBytes: number;
  /** Host names besides local ones that may reach /mcp (DNS rebinding protection). */
  allowedHosts: readonly string[];
  /** Stateful sessions next to the stateless mode; undefined when MCP_SESSIONS=off. */
  sessions?: McpSessions;
}

/** `/mcp`: the federated MCP endpoint; any replica can answer any request, of a session or not. */
export function createMcpRoutes(deps: McpRoutesDeps): Hono {
  const app = new Hono();
  app.use("/mcp", hostGuard(deps.allowedHosts), deps.auth("/mcp"));
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
