import { createMcpEndpoint, createServiceApp, loadServiceConfig, serve } from "@mcp-federation/mcp-http";
import { createShoppingServer } from "./mcp-server.ts";

const config = loadServiceConfig(3002);
const app = createServiceApp({
  serviceName: "shopping-service",
  bearerToken: config.bearerToken,
  mcp: createMcpEndpoint(createShoppingServer, { bodyReadTimeoutMs: config.bodyReadTimeoutMs }),
});
const server = serve(app.fetch, {
  port: config.port,
  drainGraceMs: config.drainGraceMs,
  log: (m) => console.log(`[shopping-service] ${m}`),
});
console.log(`[shopping-service] MCP server listening on http://localhost:${server.port}/mcp`);
