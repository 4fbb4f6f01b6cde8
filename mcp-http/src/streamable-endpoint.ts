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
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

const BOTH = "application/json, text/event-stream";
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_BODY_READ_TIMEOUT_MS = 30_000;

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
  // A body already read (and handed over as parsedBody) cannot be copied, and is not needed.
  return request.bodyUsed
    ? new Request(request.url, { method: request.method, headers })
    : new Request(request, { headers });
}

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
  createServer: () => Server | McpServer,
  options: StreamableEndpointOptions = {},
): Promise<Response> {
  const body = await readMessages(
    request,
    options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    options.bodyReadTimeoutMs ?? DEFAULT_BODY_READ_TIMEOUT_MS,
  );
  if (body instanceof Response) return body;
  const answered = body && options.answer?.(body.parsed, request);
  if (answered) return answered;
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !acceptsEventStream(request),
    maxRequestBodySize: options.maxBodyBytes,
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

/**
 * Reads and checks a JSON POST body before the transport sees it, so that each kind of bad message gets
 * its own JSON-RPC error: -32700 for text that is not JSON, -32600 for JSON that is not a JSON-RPC
 * message (the SDK reports both as -32700). Other requests (GET, DELETE, non-JSON content types) are
 * left to the transport, which answers them; undefined means "not read here".
 */
async function readMessages(
  request: Request,
  maxBytes: number,
  timeoutMs: number,
): Promise<{ parsed: unknown } | Response | undefined> {
  if (request.method !== "POST" || !isJsonContentType(request.headers.get("content-type"))) return undefined;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return rpcError(413, -32000, `Request body exceeds ${maxBytes} bytes`);
  const text = await readBodyText(request, maxBytes, timeoutMs);
  if (text instanceof Response) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return rpcError(400, -32700, "Parse error: the body is not valid JSON");
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (messages.length === 0 || !messages.every((m) => JSONRPCMessageSchema.safeParse(m).success)) {
    return rpcError(400, -32600, "Invalid Request: the body is not a JSON-RPC 2.0 message (or batch of messages)");
  }
  return (Array.isArray(parsed) && refuseRepeatedIds(parsed)) || { parsed };
}

/**
 * Reads a body chunk by chunk, so a chunked body without Content-Length is cut off at `maxBytes` rather
 * than held whole in memory first, and one that stops arriving is given up after `timeoutMs`.
 */
async function readBodyText(request: Request, maxBytes: number, timeoutMs: number): Promise<string | Response> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === "timeout") {
        void reader.cancel().catch(() => {});
        return rpcError(408, -32000, `Request body not received in full within ${timeoutMs} ms`);
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => {});
        return rpcError(413, -32000, `Request body exceeds ${maxBytes} bytes`);
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Answers match requests by id, so two requests of one batch with the same id cannot both be answered
 * (the SDK would drop one result). Such a batch is refused whole, with an error for each of its
 * requests, as an array like the batch, rather than run in part.
 */
function refuseRepeatedIds(batch: unknown[]): Response | undefined {
  const requests = batch.filter(
    (m): m is { id: string | number } =>
      typeof m === "object" && m !== null && "method" in m && "id" in m && m.id !== undefined,
  );
  const seen = new Map<string | number, number>();
  for (const { id } of requests) seen.set(id, (seen.get(id) ?? 0) + 1);
  if (requests.length === seen.size) return undefined;
  const answers = requests.map(({ id }) => ({
    jsonrpc: "2.0",
    id,
    error: {
      code: -32600,
      message:
        (seen.get(id) ?? 0) > 1
          ? `Invalid Request: id ${JSON.stringify(id)} is used by more than one request of this batch`
          : "Invalid Request: not run, because other requests of this batch repeat an id",
    },
  }));
  return Response.json(answers, { status: 400 });
}

function isJsonContentType(header: string | null): boolean {
  return header !== null && /^application\/json\s*(;|$)/i.test(header.trim());
}

function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}
