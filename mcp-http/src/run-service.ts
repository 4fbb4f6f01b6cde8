/**
 * What a demo service's main.ts does: read its settings, serve its MCP server behind the shared HTTP
 * app, drain on SIGTERM, and say where it listens. One home, so the services differ only in their tools.
 */
import { createMcpEndpoint } from "./mcp-endpoint.ts";
import { serve } from "./serve.ts";
import { createServiceApp, loadServiceConfig } from "./service-app.ts";

export function runService(options: {
  serviceName: string;
  defaultPort: number;
  createServer: Parameters<typeof createMcpEndpoint>[0];
}): void {
  const { serviceName, defaultPort, createServer } = options;
  const config = loadServiceConfig(defaultPort);
  const app = createServiceApp({
    serviceName,
    bearerToken: config.bearerToken,
    mcp: createMcpEndpoint(createServer, { bodyReadTimeoutMs: config.bodyReadTimeoutMs }),
  });
  const server = serve(app.fetch, {
    port: config.port,
    drainGraceMs: config.drainGraceMs,
    log: (m) => console.log(`[${serviceName}] ${m}`),
  });
  console.log(`[${serviceName}] MCP server listening on http://localhost:${server.port}/mcp`);
}
