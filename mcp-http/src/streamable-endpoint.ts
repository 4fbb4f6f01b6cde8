/**
 * Bridges a Web `Request` to the SDK's streamable HTTP transport in stateless mode.
 *
 * The SDK insists that every POST accepts both `application/json` and `text/event-stream` and answers
 * 406 otherwise. Plain clients (the curl examples of the design send only `Content-Type`) would then
 * never get an answer, so a request that does not accept an event stream is served as a single JSON
 * response instead, while a client that asks for `text/event-stream` keeps the streaming response
 * (progress and logging notifications need it).
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

const BOTH = "application/json, text/event-stream";

/** True when the client can read an event stream, so a streamed response may be sent. */
export function acceptsEventStream(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

/** A copy of `request` whose Accept header satisfies the SDK transport, or `request` itself. */
export function withTransportAccept(request: Request): Request {
  const accept = request.headers.get("accept") ?? "";
  if (accept.includes("application/json") && accept.includes("text/event-stream")) return request;
  const headers = new Headers(request.headers);
  headers.set("accept", BOTH);
  return new Request(request, { headers });
}

export interface StreamableEndpointOptions {
  /** Largest POST body read, in bytes (the SDK answers 413 above it). */
  maxBodyBytes?: number;
}

/**
 * Handles one MCP HTTP request with a fresh server and transport: stateless mode allows no reuse, and a
 * fresh pair keeps requests of different clients apart.
 */
export async function handleStatelessMcp(
  request: Request,
  createServer: () => Server | McpServer,
  options: StreamableEndpointOptions = {},
): Promise<Response> {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !acceptsEventStream(request),
    maxRequestBodySize: options.maxBodyBytes,
  });
  const server = createServer();
  await server.connect(transport);
  const response = await transport.handleRequest(withTransportAccept(request));
  return closeWhenDone(response, () => {
    void transport.close();
    void server.close();
  });
}

/** Runs `close` once the response body has been fully sent, or the client went away. */
function closeWhenDone(response: Response, close: () => void): Response {
  const source = response.body;
  if (!source) {
    close();
    return response;
  }
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        close();
        return;
      }
      controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
      close();
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
