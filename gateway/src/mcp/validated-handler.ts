/**
 * Registers a request handler whose invalid params are answered with JSON-RPC -32602.
 *
 * The SDK's `Server` checks a request of a specification method against that method's schema before its
 * handler runs, and reports a mismatch as an internal error (-32603), which tells a client nothing
 * useful. Registering the handler with the method's params schema instead has the SDK answer the error
 * the specification names, with a description of what is wrong.
 */
import {
  type Result,
  type Server,
  type ServerContext,
  type StandardSchemaV1,
  specTypeSchemas,
} from "@modelcontextprotocol/server";

/** The params schema of each method the gateway's 2025 server answers itself. */
const PARAMS = {
  "tools/list": specTypeSchemas.PaginatedRequestParams,
  "tools/call": specTypeSchemas.CallToolRequestParams,
  "resources/list": specTypeSchemas.PaginatedRequestParams,
  "resources/templates/list": specTypeSchemas.PaginatedRequestParams,
  "resources/read": specTypeSchemas.ReadResourceRequestParams,
  "resources/subscribe": specTypeSchemas.SubscribeRequestParams,
  "resources/unsubscribe": specTypeSchemas.UnsubscribeRequestParams,
  "prompts/list": specTypeSchemas.PaginatedRequestParams,
  "prompts/get": specTypeSchemas.GetPromptRequestParams,
  "logging/setLevel": specTypeSchemas.SetLevelRequestParams,
  "completion/complete": specTypeSchemas.CompleteRequestParams,
};

export type ValidatedMethod = keyof typeof PARAMS;

export type ParamsOf<M extends ValidatedMethod> = StandardSchemaV1.InferOutput<(typeof PARAMS)[M]>;

export function setValidatedHandler<M extends ValidatedMethod>(
  server: Server,
  method: M,
  handler: (params: ParamsOf<M>, ctx: ServerContext) => unknown,
): void {
  server.setRequestHandler(
    method,
    { params: PARAMS[method] as StandardSchemaV1 },
    (params, ctx) =>
      // Results are backends' own, passed through as they came: the SDK checks the shape of a tool's.
      Promise.resolve(handler(params as ParamsOf<M>, ctx)) as Promise<Result>,
  );
}
