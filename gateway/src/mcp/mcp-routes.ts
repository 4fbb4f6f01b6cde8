import { bearerAuth, handleStatelessMcp } from "@mcp-federation/mcp-http";
import { Hono } from "hono";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";
import { hostGuard } from "./host-guard.ts";

export interface McpRoutesDeps extends GatewayMcpDeps {
  bearerToken: string;
  maxBodyBytes: number;
  /** Host names besides local ones that may reach /mcp (DNS rebinding protection). */
  allowedHosts: readonly string[];
}

/** `/mcp`: the federated MCP endpoint, stateless so any replica can answer any request. */
export function createMcpRoutes(deps: McpRoutesDeps): Hono {
  const app = new Hono();
  app.use("/mcp", hostGuard(deps.allowedHosts), bearerAuth(deps.bearerToken));
  app.all("/mcp", (c) => handleStatelessMcp(c.req.raw, () => createGatewayMcpServer(deps), { maxBodyBytes: deps.maxBodyBytes }));
  return app;
}
