export { bearerAuth, parseBearer } from "./bearer-auth.ts";
export { secretsEqual } from "./secrets-equal.ts";
export { DEFAULT_DRAIN_TIMEOUT_MS, type ServeOptions, serve } from "./serve.ts";
export { createServiceApp, loadServiceConfig, type ServiceAppDeps, type ServiceConfig } from "./service-app.ts";
export {
  acceptsEventStream,
  handleStatelessMcp,
  type StreamableEndpointOptions,
  withTransportAccept,
} from "./streamable-endpoint.ts";
export { toolId } from "./tool-id.ts";
