/**
 * Registers a request handler whose invalid params are answered with JSON-RPC -32602.
 *
 * The SDK's `Server` parses a request with the handler's schema before anything else and reports a
 * mismatch as an internal error (-32603), which tells a client nothing useful. Registering a schema
 * that checks only the method and validating the params ourselves gives the error the specification
 * names, with zod's description of what is wrong.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

type Handler = Parameters<Server["setRequestHandler"]>[1];
export type HandlerExtra = Parameters<Handler>[1];

export function setValidatedHandler<S extends z.ZodObject<{ method: z.ZodLiteral<string> }>>(
  server: Server,
  schema: S,
  handler: (request: z.infer<S>, extra: HandlerExtra) => unknown,
): void {
  const method = schema.shape.method.value;
  server.setRequestHandler(
    methodOnlySchema(method) as never,
    ((request: unknown, extra: HandlerExtra) => {
      const parsed = schema.safeParse(request);
      if (!parsed.success) {
        throw new McpError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${z.prettifyError(parsed.error)}`);
      }
      return handler(parsed.data, extra);
    }) as never,
  );
}

/**
 * One method-only schema per method for the life of the process: a server is built per request, and
 * building a zod schema compiles code, which would otherwise be paid on every request.
 */
const methodOnlySchemas = new Map<string, z.ZodType>();

function methodOnlySchema(method: string): z.ZodType {
  let schema = methodOnlySchemas.get(method);
  if (!schema) {
    schema = z.looseObject({ method: z.literal(method) });
    methodOnlySchemas.set(method, schema);
  }
  return schema;
}
