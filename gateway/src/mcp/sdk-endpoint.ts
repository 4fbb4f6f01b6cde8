/**
 * The gateway's `/mcp` dispatcher for one request and its 2025 leg: the body is read once, offered to
 * `answer` (mcp-routes.ts: 2026-07-28 requests, the fast path, a session client's answers), and what no
 * one answered goes to the gateway's 2025 server (gateway-mcp-server.ts) on the SDK's streamable HTTP
 * transport in stateless mode, as mcp-http's `createMcpEndpoint` serves the services' 2025 requests.
 * Not on the legacy leg of the SDK's `createMcpHandler`, whose strict form modern-mcp.ts serves 2026-07-28
 * requests with: that leg answers 406 to a client that does not accept an event stream, and always streams.
 *
 * A request that does not accept an event stream (the design's curl examples send only `Content-Type`)
 * is served as a single JSON response, while a client that asks for `text/event-stream` keeps the
 * streaming response (progress and logging notifications need it).
 */

import {
  DEFAULT_BODY_READ_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  readMessages,
  serveLegacyRequest,
} from "@mcp-federation/mcp-http";
import type { Server } from "@modelcontextprotocol/server";

export interface StreamableEndpointOptions {
  /** Largest POST body read, in bytes: reading stops there and the request gets 413. */
  maxBodyBytes?: number;
  /**
   * Longest wait for a POST body to arrive in full (408 after it). /mcp is exempt from the server's
   * idle timeout, so without it a body that never ends would hold its connection forever.
   */
  bodyReadTimeoutMs?: number;
  /**
   * Sees every POST body that parsed as JSON-RPC before a server and transport are built for it. It may
   * answer the request itself (for requests so common that building them costs more than the answer),
   * or return undefined to leave it to the SDK.
   */
  answer?: (message: unknown, request: Request) => Promise<Response> | undefined;
}

/**
 * Handles one MCP HTTP request with a fresh server and transport: stateless mode allows no reuse, and a
 * fresh pair keeps requests of different clients apart.
 */
export async function handleStatelessMcp(
  request: Request,
  createServer: () => Server,
  options: StreamableEndpointOptions = {},
): Promise<Response> {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const body = await readMessages(request, maxBytes, options.bodyReadTimeoutMs ?? DEFAULT_BODY_READ_TIMEOUT_MS);
  if (body instanceof Response) return body;
  const answered = body && options.answer?.(body.parsed, request);
  if (answered) return answered;
  return serveLegacyRequest(request, createServer, body === undefined ? {} : { parsedBody: body.parsed }, maxBytes);
}
