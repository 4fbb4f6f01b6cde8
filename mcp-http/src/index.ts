export { bearerAuth, parseBearer } from "./bearer-auth.ts";
export { createMcpEndpoint, type McpEndpoint, type McpEndpointOptions, serveLegacyRequest } from "./mcp-endpoint.ts";
export { DEFAULT_BODY_READ_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, readMessages } from "./request-body.ts";
export { acceptsEventStream, closeWhenDone, withTransportAccept } from "./response-stream.ts";
export { runService } from "./run-service.ts";
export { secretsEqual } from "./secrets-equal.ts";
export { DEFAULT_DRAIN_TIMEOUT_MS, type ServeOptions, serve } from "./serve.ts";
export { createServiceApp, loadServiceConfig, type ServiceAppDeps, type ServiceConfig } from "./service-app.ts";
export { toolId } from "./tool-id.ts";
