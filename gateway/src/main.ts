import { serve } from "@mcp-federation/mcp-http";
import { loadConfig } from "./config.ts";
import { createGateway } from "./gateway.ts";
import { createLogger } from "./logger.ts";
import { bootstrapServices } from "./registry/bootstrap.ts";

const config = loadConfig();
const log = createLogger({ level: config.logLevel, json: config.nodeEnv === "production" });
for (const warning of config.warnings) log.warn(warning);

const gateway = await createGateway(config, { log, processMetrics: true });
const bootstrap = bootstrapServices({ services: config.bootstrapServices, registry: gateway.registry, log });

const server = serve(gateway.app.fetch, {
  port: config.port,
  log: (message) => log.info(message),
  onDraining: () => gateway.endStreams(),
  onShutdown: async () => {
    bootstrap.stop();
    await gateway.close();
  },
});
log.info(`MCP gateway listening on http://localhost:${server.port}/mcp`, {
  database: gateway.database.kind,
  versionStore: gateway.versionStore.kind,
});
