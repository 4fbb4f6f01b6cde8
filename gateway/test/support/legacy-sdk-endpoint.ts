/**
 * Serves a test backend built on the 1.x SDK statelessly, a fresh server and transport per request, as
 * 2025 services built on it are served. The gateway's own endpoint is on the v2 SDK (src/mcp/sdk-endpoint.ts);
 * the fixtures keep the 1.x SDK's `McpServer`, whose tools read the HTTP request as `extra.requestInfo`,
 * which only its own transport fills in.
 */
import {
  acceptsEventStream,
  closeWhenDone,
  DEFAULT_BODY_READ_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  readMessages,
  withTransportAccept,
} from "@mcp-federation/mcp-http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

export async function serveOnLegacySdk(request: Request, createServer: () => McpServer): Promise<Response> {
  const body = await readMessages(request, DEFAULT_MAX_BODY_BYTES, DEFAULT_BODY_READ_TIMEOUT_MS);
  if (body instanceof Response) return body;
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !acceptsEventStream(request),
  });
  const server = createServer();
  await server.connect(transport);
  const response = await transport.handleRequest(
    withTransportAccept(request),
    body === undefined ? undefined : { parsedBody: body.parsed },
  );
  return closeWhenDone(response, () => {
    void transport.close();
    void server.close();
  });
}
