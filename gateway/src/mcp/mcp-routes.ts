import { bearerAuth, handleStatelessMcp } from "@mcp-federation/mcp-http";
import { Hono } from "hono";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";

export interface McpRoutesDeps extends GatewayMcpDeps {
  bearerToken: string;
  maxBodyBytes: number;
}

/** `/mcp`: the federated MCP endpoint, stateless so any replica can answer any request. */
export function createMcpRoutes(deps: McpRoutesDeps): Hono {
  const app = new Hono();
  app.use("/mcp", bearerAuth(deps.bearerToken));
  app.all("/mcp", (c) => handleStatelessMcp(c.req.raw, () => createGatewayMcpServer(deps), { maxBodyBytes: deps.maxBodyBytes }));
  return app;
}
