export { bearerAuth, parseBearer } from "./bearer-auth.ts";
export { secretsEqual } from "./secrets-equal.ts";
export { serve, type ServeOptions } from "./serve.ts";
export {
  acceptsEventStream,
  handleStatelessMcp,
  withTransportAccept,
  type StreamableEndpointOptions,
} from "./streamable-endpoint.ts";
export { createServiceApp, loadServiceConfig, type ServiceAppDeps, type ServiceConfig } from "./service-app.ts";
