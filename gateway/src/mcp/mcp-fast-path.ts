/**
 * Answers the two requests that make up nearly all MCP traffic, a lone tools/list or tools/call, without
 * the per-request SDK server and transport: building those and their event stream cost several times
 * what the rest of a gateway hop does (`bun run bench` measures it). The answer is the message the SDK
 * path would send, byte for byte, as a JSON response, which the streamable HTTP transport allows for
 * any client that accepts JSON (or as an event stream, when the backend logs or asks the client
 * something during a call).
 *
 * Whatever this path is not sure to answer the same way goes to the SDK as before, errors included:
 * batches, notifications, other methods, pagination cursors, progress tokens, task requests, unknown
 * tools, unsupported protocol versions, and clients that read only event streams.
 */
import { acceptsEventStream } from "@mcp-federation/mcp-http";
import { CallToolResultSchema } from "@modelcontextprotocol/core";
import {
  type LoggingMessageNotification,
  ProtocolError,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { CatalogView } from "../catalog/catalog.ts";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import { isRateLimitedError } from "../rate-limit/tool-call-limiter.ts";
import { forwardToClient } from "../sessions/client-requests.ts";
import type { SessionCallContext } from "../sessions/mcp-sessions.ts";
import { createGzipWithSuffix, type GzipWithSuffix } from "./gzip-with-suffix.ts";
import { listPage } from "./list-pages.ts";
import { isPlainToolResult } from "./plain-tool-result.ts";
import { routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";

type RequestId = string | number;
/** `session` is set for requests of a session: the client can cancel their calls, and be asked by backends. */
type Answer = (message: unknown, request: Request, session?: SessionCallContext) => Promise<Response> | undefined;

const JSON_HEADERS = { "Content-Type": "application/json" };
const LIST_HEADERS = { ...JSON_HEADERS, Vary: "Accept-Encoding" };
const GZIP_LIST_HEADERS = { ...LIST_HEADERS, "Content-Encoding": "gzip" };
const EVENT_STREAM_HEADERS = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" };
const encoder = new TextEncoder();
/** A result as the 2025 revision has it: v2's schema takes any `structuredContent`, as 2026-07-28 allows. */
const LegacyCallToolResultSchema = CallToolResultSchema.extend({
  structuredContent: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The fast path for requests served from `catalog`: the whole catalog or a caller's view of it. The
 * encoded tool lists are shared by all views, one per snapshot.
 */
export function createMcpFastPath({
  pageSize,
  ...deps
}: Omit<ToolCallRouting, "catalog"> & { pageSize: number }): (catalog: CatalogView) => Answer {
  const toolList = createToolListAnswer(pageSize);
  return (catalog) => {
    const routing = { ...deps, catalog };
    return (message, request, session) => {
      // A server in search mode answers tools/list and tools/call its own way (tool-search/search-mode.ts).
      if (catalog.toolIndex || !isRequest(message) || !answersAsJson(request)) return undefined;
      if (message.method === "tools/list" && isEmpty(message.params))
        return Promise.resolve(toolList(catalog.snapshot(), message.id, request));
      if (message.method !== "tools/call") return undefined;
      const call = plainCall(message.params);
      if (!call || !catalog.snapshot().routes.has(call.name)) return undefined;
      return answerToolCall(routing, message.id, call, request, session);
    };
  };
}

interface EncodedToolList {
  head: Uint8Array<ArrayBuffer>;
  gzip?: GzipWithSuffix;
}

/**
 * The tools/list answer, encoded once per snapshot: with thousands of tools, serialising the list is
 * most of the work, and only the request id differs between answers. Clients that accept gzip get it
 * compressed (also once per snapshot): a large list shrinks about eighty-fold, which saves more time
 * than their decoding costs even over loopback. Held weakly, so a snapshot's encoding goes with it.
 */
function createToolListAnswer(
  pageSize: number,
): (snapshot: CatalogSnapshot, id: RequestId, request: Request) => Response {
  const encoded = new WeakMap<CatalogSnapshot, EncodedToolList>();
  return (snapshot, id, request) => {
    let list = encoded.get(snapshot);
    if (!list) {
      // The SDK sends { result, jsonrpc, id } in this order; the result is the first page, as the SDK path's.
      list = {
        head: encoder.encode(
          `{"result":${JSON.stringify(listPage(snapshot, "tools", undefined, pageSize))},"jsonrpc":"2.0","id":`,
        ),
      };
      encoded.set(snapshot, list);
    }
    const tail = encoder.encode(`${JSON.stringify(id)}}`);
    if (acceptsGzip(request)) {
      list.gzip ??= createGzipWithSuffix(list.head);
      const parts = list.gzip(tail);
      if (parts) return new Response(new Blob(parts), { headers: GZIP_LIST_HEADERS });
    }
    return new Response(new Blob([list.head, tail]), { headers: LIST_HEADERS });
  };
}

/** True when Accept-Encoding names gzip with a non-zero quality. */
function acceptsGzip(request: Request): boolean {
  const header = request.headers.get("accept-encoding");
  if (!header) return false;
  return header.split(",").some((entry) => {
    const [coding = "", ...params] = entry.split(";").map((s) => s.trim().toLowerCase());
    if (coding !== "gzip") return false;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * What the SDK's Server does around the gateway's tools/call handler, minus the transport. The answer
 * is JSON unless the backend logs or asks the client something during the call and the client reads
 * event streams: then, as on the SDK path, the response becomes an event stream at the first such
 * message and ends with the result.
 */
function answerToolCall(
  routing: ToolCallRouting,
  id: RequestId,
  call: PlainCall,
  request: Request,
  session?: SessionCallContext,
): Promise<Response> {
  return new Promise((resolve) => {
    let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
    const streamed = (message: object) => {
      stream ??= openEventStream(resolve);
      sendEvent(stream, message);
    };
    const onlog = acceptsEventStream(request)
      ? (log: LoggingMessageNotification) => streamed({ ...log, jsonrpc: "2.0" })
      : undefined;
    // A request to the client makes the response an event stream too (askClient refuses clients that cannot read one).
    const onrequest = forwardToClient(session?.askClient, streamed);
    const run = (signal: AbortSignal) =>
      routeToolCall(routing, call.name, call.arguments, {
        signal,
        onlog,
        onrequest,
        clientCapabilities: session?.askable,
        client: session?.link,
      });
    void answerOf(id, session ? session.scope(id, request.signal, run) : run(request.signal)).then((message) => {
      if (!stream) return resolve(jsonAnswer(message));
      sendEvent(stream, message);
      stream.close();
    });
  });
}

type JsonRpcError = ReturnType<typeof errorOf>;
type JsonRpcAnswer = { jsonrpc: "2.0"; id: RequestId } & ({ result: unknown } | { error: JsonRpcError });

async function answerOf(id: RequestId, call: Promise<unknown>): Promise<JsonRpcAnswer> {
  try {
    const result = await call;
    if (isPlainToolResult(result)) return { result, jsonrpc: "2.0", id };
    const checked = LegacyCallToolResultSchema.safeParse(result);
    if (!checked.success)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid tools/call result: ${checked.error.message}`);
    return { result: checked.data, jsonrpc: "2.0", id };
  } catch (error) {
    return { jsonrpc: "2.0", id, error: errorOf(error) };
  }
}

/**
 * A call refused by a rate limit is also an HTTP 429 with Retry-After, which HTTP clients and proxies
 * understand without reading the body; the body is the JSON-RPC error the SDK path would send.
 */
function jsonAnswer(message: JsonRpcAnswer): Response {
  const body = JSON.stringify(message);
  if (!("error" in message) || !isRateLimitedError(message.error)) return new Response(body, { headers: JSON_HEADERS });
  const { retryAfterSeconds } = message.error.data as { retryAfterSeconds: number };
  return new Response(body, { status: 429, headers: { ...JSON_HEADERS, "Retry-After": String(retryAfterSeconds) } });
}

function openEventStream(resolve: (response: Response) => void): ReadableStreamDefaultController<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  resolve(new Response(body, { headers: EVENT_STREAM_HEADERS }));
  return controller;
}

function sendEvent(stream: ReadableStreamDefaultController<Uint8Array>, message: object): void {
  try {
    stream.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`));
  } catch {
    // The client went away; its request's signal aborts the call.
  }
}

/** The JSON-RPC error the SDK's Protocol makes of a thrown error. */
function errorOf(thrown: unknown): { code: number; message: string; data?: unknown } {
  const error = (thrown ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  return {
    code: Number.isSafeInteger(error.code) ? (error.code as number) : ProtocolErrorCode.InternalError,
    message: typeof error.message === "string" ? error.message : "Internal error",
    ...(error.data !== undefined && { data: error.data }),
  };
}

interface PlainCall {
  name: string;
  arguments?: Record<string, unknown>;
}

/** Params with a tool name and, optionally, an arguments object, and nothing else (no _meta, no task). */
function plainCall(params: unknown): PlainCall | undefined {
  if (!isRecord(params) || typeof params.name !== "string") return undefined;
  if (params.arguments !== undefined && !isRecord(params.arguments)) return undefined;
  for (const key in params) if (key !== "name" && key !== "arguments") return undefined;
  return params as unknown as PlainCall;
}

function isRequest(message: unknown): message is { id: RequestId; method: string; params?: unknown } {
  if (!isRecord(message) || message.jsonrpc !== "2.0") return false;
  return (typeof message.id === "string" || typeof message.id === "number") && typeof message.method === "string";
}

/**
 * A JSON answer is what the SDK path would send to a client that does not read event streams, and is
 * allowed for one that reads both; a client that reads only event streams gets one from the SDK. The
 * protocol version header is checked as the SDK transport checks it, whose error stays its own.
 */
function answersAsJson(request: Request): boolean {
  const version = request.headers.get("mcp-protocol-version");
  if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return false;
  return !acceptsEventStream(request) || (request.headers.get("accept") ?? "").includes("application/json");
}

function isEmpty(params: unknown): boolean {
  return params === undefined || (isRecord(params) && Object.keys(params).length === 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
