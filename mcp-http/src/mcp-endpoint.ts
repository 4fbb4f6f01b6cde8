/**
 * One `/mcp` for both protocol revisions, on the v2 SDK, with a fresh server from the factory per request.
 *
 * A request that carries the 2026-07-28 `_meta` envelope goes to the SDK's `createMcpHandler`, which owns
 * everything of that revision (`server/discover`, header checks, input-required results, subscriptions).
 * A 2025-era request (`initialize`, or a plain JSON-RPC POST without the envelope, as the design's curl
 * examples send) is classified by the SDK's own `isLegacyRequest` and served here, statelessly: the
 * handler's built-in legacy leg answers 406 unless the client accepts an event stream and always
 * streams, where these services answer such a request with a single JSON response.
 */
import {
  createMcpHandler,
  isLegacyRequest,
  type McpServerFactory,
  type ServerEventBus,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { DEFAULT_BODY_READ_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, readMessages } from "./request-body.ts";
import { acceptsEventStream, closeWhenDone, withTransportAccept } from "./response-stream.ts";

export interface McpEndpointOptions {
  /** Largest POST body read, in bytes: reading stops there and the request gets 413. */
  maxBodyBytes?: number;
  /**
   * Longest wait for a POST body to arrive in full (408 after it). /mcp is exempt from the server's
   * idle timeout, so without it a body that never ends would hold its connection forever.
   */
  bodyReadTimeoutMs?: number;
  /** What `subscriptions/listen` streams are sent (list changes, resource updates); the SDK's in-process bus when left out. */
  bus?: ServerEventBus;
}

export type McpEndpoint = (request: Request) => Promise<Response>;

export function createMcpEndpoint(factory: McpServerFactory, options: McpEndpointOptions = {}): McpEndpoint {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.bodyReadTimeoutMs ?? DEFAULT_BODY_READ_TIMEOUT_MS;
  const modern = createMcpHandler(factory, {
    legacy: "reject",
    maxRequestBodySize: maxBytes,
    ...(options.bus === undefined ? {} : { bus: options.bus }),
  });
  return async (request) => {
    // GET and DELETE are 2025 session operations, of which stateless serving has none: the handler answers
    // them 405, where a 2025 transport would hold a GET open with nothing ever to send.
    if (request.method !== "POST") return modern.fetch(request);
    const body = await readMessages(request, maxBytes, timeoutMs);
    if (body instanceof Response) return body;
    // Only a body read here is passed on: the request's own stream is spent once it has been read.
    const given = body === undefined ? {} : { parsedBody: body.parsed };
    if (await isLegacyRequest(request, given.parsedBody, { maxRequestBodySize: maxBytes })) {
      return serveLegacyRequest(request, factory, given, maxBytes);
    }
    return modern.fetch(request, given);
  };
}

/**
 * Serves one 2025-era request with a fresh server from the factory on a fresh transport in stateless
 * mode: as a single JSON response unless the client accepts an event stream. `given` holds the body when
 * it has been read already.
 */
export async function serveLegacyRequest(
  request: Request,
  factory: McpServerFactory,
  given: { parsedBody?: unknown },
  maxBytes: number,
): Promise<Response> {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !acceptsEventStream(request),
    maxRequestBodySize: maxBytes,
  });
  const server = await factory({ era: "legacy", requestInfo: request });
  await server.connect(transport);
  const response = await transport.handleRequest(withTransportAccept(request), given);
  return closeWhenDone(response, () => {
    void transport.close();
    void server.close();
  });
}
