/**
 * The SDK's low-level `Server` as it answers 2025 clients: with the error codes of their revision.
 *
 * The SDK sends an error of code -32002 (resource not found) as -32602, the code SEP-2164 gives it from
 * 2026-07-28 on, whatever the revision a request was served in. A 2025 client is told -32002, as its
 * revision specifies (json-rpc-errors.ts): the requests whose handler failed so are noted, and their
 * error responses given the code back on their way to the transport.
 */
import {
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
  type Result,
  Server,
  type ServerContext,
  type Transport,
} from "@modelcontextprotocol/server";
import { RESOURCE_NOT_FOUND } from "./json-rpc-errors.ts";

type Handler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<Result>;

export class LegacyServer extends Server {
  readonly #notFound = new Set<RequestId>();

  override async connect(transport: Transport): Promise<void> {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => send(this.#withCodeOfRevision(message), options);
    await super.connect(transport);
  }

  protected override _wrapHandler(method: string, handler: Handler): Handler {
    const wrapped = super._wrapHandler(method, handler);
    return async (request, ctx) => {
      try {
        return await wrapped(request, ctx);
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === RESOURCE_NOT_FOUND) this.#notFound.add(request.id);
        throw error;
      }
    };
  }

  #withCodeOfRevision(message: JSONRPCMessage): JSONRPCMessage {
    if (!("error" in message) || message.id === undefined || !this.#notFound.delete(message.id)) return message;
    return { ...message, error: { ...message.error, code: RESOURCE_NOT_FOUND } };
  }
}
