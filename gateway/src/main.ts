import { serve } from "@mcp-federation/mcp-http";
import { loadConfig } from "./config.ts";
import { createGateway, type Gateway } from "./gateway.ts";
import { catalogReadiness } from "./health/readiness.ts";
import { errorBody } from "./http-error.ts";
import { createLogger } from "./logger.ts";
import { bootstrapServices } from "./registry/bootstrap.ts";

const config = loadConfig();
const log = createLogger({ level: config.logLevel, json: config.nodeEnv === "production" });
for (const warning of config.warnings) log.warn(warning);

// Listen before the gateway is built (migrations, first catalog load), so that an orchestrator sees a
// live process that is not ready yet, rather than a closed port it might take for a dead one.
let gateway: Gateway | undefined;
let bootstrap: { stop(): void } | undefined;
let ready = () => false;
const starting = () => Response.json(errorBody("service_unavailable", "the gateway is starting"), { status: 503 });

const server = serve((request, srv) => (gateway ? gateway.app.fetch(request, srv) : starting()), {
  port: config.port,
  ready: () => ready(),
  drainGraceMs: config.drainGraceMs,
  log: (message) => log.info(message),
  onDraining: () => gateway?.endStreams(),
  onShutdown: async () => {
    bootstrap?.stop();
    await gateway?.close();
  },
});
log.info(`MCP gateway listening on http://localhost:${server.port}/mcp; loading the catalog`);

gateway = await createGateway(config, { log, processMetrics: true });
bootstrap = bootstrapServices({ services: config.bootstrapServices, registry: gateway.registry, log });
ready = catalogReadiness(
  gateway.catalog,
  config.bootstrapServices.map((service) => service.name),
);
log.info("MCP gateway serving", { database: gateway.database.kind, versionStore: gateway.versionStore.kind });
