import { bearerAuth, handleStatelessMcp } from "@mcp-federation/mcp-http";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { Hono } from "hono";
import { createGatewayMcpServer, type GatewayMcpDeps } from "./gateway-mcp-server.ts";
import { hostGuard } from "./host-guard.ts";
import { createMcpFastPath } from "./mcp-fast-path.ts";

export interface McpRoutesDeps extends Omit<GatewayMcpDeps, "jsonSchemaValidator"> {
  bearerToken: string;
  maxBodyBytes: number;
  /** Host names besides local ones that may reach /mcp (DNS rebinding protection). */
  allowedHosts: readonly string[];
}

/** `/mcp`: the federated MCP endpoint, stateless so any replica can answer any request. */
export function createMcpRoutes(deps: McpRoutesDeps): Hono {
  const app = new Hono();
  app.use("/mcp", hostGuard(deps.allowedHosts), bearerAuth(deps.bearerToken));
  const serverDeps = { ...deps, jsonSchemaValidator: new AjvJsonSchemaValidator() };
  const options = { maxBodyBytes: deps.maxBodyBytes, answer: createMcpFastPath(deps) };
  app.all("/mcp", (c) => handleStatelessMcp(c.req.raw, () => createGatewayMcpServer(serverDeps), options));
  return app;
}
