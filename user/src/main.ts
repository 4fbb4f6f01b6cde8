import { createMcpEndpoint, createServiceApp, loadServiceConfig, serve } from "@mcp-federation/mcp-http";
import { createUserServer } from "./mcp-server.ts";

const config = loadServiceConfig(3003);
const app = createServiceApp({
  serviceName: "user-service",
  bearerToken: config.bearerToken,
  mcp: createMcpEndpoint(createUserServer, { bodyReadTimeoutMs: config.bodyReadTimeoutMs }),
});
const server = serve(app.fetch, {
  port: config.port,
  drainGraceMs: config.drainGraceMs,
  log: (m) => console.log(`[user-service] ${m}`),
});
console.log(`[user-service] MCP server listening on http://localhost:${server.port}/mcp`);
