/**
 * The gateway's `/mcp` for 2026-07-28 clients, on the v2 SDK's `createMcpHandler`, which owns that
 * revision's wire rules (`server/discover`, the header checks, `resultType`, cache fields, serverInfo in
 * `_meta`). Its factory builds a low-level v2 `Server` per request over the caller's view of the
 * catalog; tools, resources and prompts go through the same routing as 2025 requests, so permissions,
 * rate limits, audit, call slots and governance apply alike.
 *
 * Not bridged yet: `subscriptions/listen` (list changes reach 2025 sessions only, so no listChanged is
 * advertised here), backends' log messages and progress during a call (logging is deprecated in this
 * revision), input-required results for backends that ask the client something mid-call, and backends
 * that speak 2026-07-28 themselves.
 */

import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import {
  type CacheHint,
  type CallToolResult,
  classifyInboundRequest,
  createMcpHandler,
  Server,
} from "@modelcontextprotocol/server";
import type { CatalogView } from "../catalog/catalog.ts";
import { callInSearchMode, SEARCH_MODE_TOOLS } from "../tool-search/search-mode.ts";
import { GATEWAY_INSTRUCTIONS, GATEWAY_SERVER_INFO } from "./gateway-mcp-server.ts";
import { listPage } from "./list-pages.ts";
import { modernToolAnswer, plainModernCall } from "./modern-tool-call.ts";
import { isPlainToolResult } from "./plain-tool-result.ts";
import { type ForwardRouting, routePromptGet, routeResourceRead } from "./route-resources-and-prompts.ts";
import { routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";

export interface ModernMcpDeps extends Omit<ToolCallRouting, "catalog"> {
  pageSize: number;
  maxBodyBytes: number;
}

/** Serves one 2026-07-28 request, whose body has been read already, from the caller's view. */
export type ModernMcp = (request: Request, parsedBody: unknown, catalog: CatalogView) => Promise<Response>;

const LEGACY_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/** Lists depend on who asks (permissions, virtual servers), so no shared cache may keep them. */
const PRIVATE: CacheHint = { ttlMs: 0, cacheScope: "private" };
const CACHE_HINTS = {
  "tools/list": PRIVATE,
  "resources/list": PRIVATE,
  "resources/templates/list": PRIVATE,
  "prompts/list": PRIVATE,
  "resources/read": PRIVATE,
  "server/discover": PRIVATE,
};

/**
 * Whether a request belongs to the 2026-07-28 revision, by the SDK's own classification: a body with the
 * per-request `_meta` envelope, or a modern `MCP-Protocol-Version` header. Malformed modern requests
 * count too, so that the SDK answers them with that revision's errors.
 */
export function isModernRequest(request: Request, parsedBody: unknown): boolean {
  const { headers } = request;
  // The SDK's classification costs microseconds; nearly all traffic is plainly 2025 or plainly 2026 and skips it.
  if (isPlain2025(parsedBody, headers.get("mcp-protocol-version"))) return false;
  if (plainModernCall(request, parsedBody)) return true;
  return (
    classifyInboundRequest({
      httpMethod: request.method,
      body: parsedBody,
      protocolVersionHeader: headers.get("mcp-protocol-version") ?? undefined,
      mcpMethodHeader: headers.get("mcp-method") ?? undefined,
      mcpNameHeader: headers.get("mcp-name") ?? undefined,
    }).kind !== "legacy"
  );
}

/** One message without `_meta` under a 2025 version header or none: what 1.x clients and curl send. */
function isPlain2025(body: unknown, version: string | null): boolean {
  if (version !== null && !LEGACY_VERSIONS.has(version)) return false;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const params = (body as { params?: unknown }).params;
  return typeof params !== "object" || params === null || !("_meta" in params);
}

/**
 * Built once: the handler is shared by all requests, the view of each reaches its factory by the request.
 * A plain tools/call (modern-tool-call.ts) is routed first; a plain result is answered without the
 * handler, any other outcome is handed to it, whose tools/call handler then answers with that outcome
 * instead of calling again.
 */
export function createModernMcp({ pageSize, maxBodyBytes, ...routing }: ModernMcpDeps): ModernMcp {
  const views = new WeakMap<Request, CatalogView>();
  const outcomes = new WeakMap<Request, Promise<CallToolResult>>();
  const handler = createMcpHandler(
    ({ requestInfo }) => {
      const catalog = requestInfo && views.get(requestInfo);
      if (!catalog) throw new Error("a 2026-07-28 request reached the gateway's handler without a catalog view");
      return createModernServer({ ...routing, catalog }, pageSize, outcomes.get(requestInfo));
    },
    { legacy: "reject", maxRequestBodySize: maxBodyBytes },
  );
  const viaHandler = (request: Request, parsedBody: unknown, catalog: CatalogView) => {
    views.set(request, catalog);
    return handler.fetch(request, { parsedBody });
  };
  return async (request, parsedBody, catalog) => {
    const call = catalog.toolIndex ? undefined : plainModernCall(request, parsedBody);
    if (!call || !catalog.snapshot().routes.has(call.name)) return viaHandler(request, parsedBody, catalog);
    const outcome = routeToolCall({ ...routing, catalog }, call.name, call.arguments, { signal: request.signal });
    const result = await outcome.catch(() => undefined);
    if (isPlainToolResult(result)) return modernToolAnswer(call.id, result);
    outcomes.set(request, outcome);
    return viaHandler(request, parsedBody, catalog);
  };
}

function createModernServer(
  routing: ToolCallRouting & ForwardRouting,
  pageSize: number,
  /** The outcome of this request's tools/call, when it was routed before the handler ran. */
  routed?: Promise<CallToolResult>,
): Server {
  const server = new Server(GATEWAY_SERVER_INFO, {
    capabilities: { tools: {}, resources: {}, prompts: {} },
    instructions: GATEWAY_INSTRUCTIONS,
    cacheHints: CACHE_HINTS,
  });
  const { catalog } = routing;
  const { toolIndex } = catalog;
  // The catalog holds definitions as the backends sent them, typed by the 1.x SDK: the wire shape is the same.
  server.setRequestHandler("tools/list", (request) =>
    toolIndex
      ? ({ tools: SEARCH_MODE_TOOLS } as never)
      : (listPage(catalog.snapshot(), "tools", request.params?.cursor, pageSize) as never),
  );
  server.setRequestHandler("tools/call", (request, ctx) => {
    if (routed) return routed;
    const { name, arguments: args } = request.params;
    const route = (name: string, args: Record<string, unknown> | undefined) =>
      routeToolCall(routing, name, args, { signal: ctx.mcpReq.signal });
    const result = toolIndex ? callInSearchMode(toolIndex, name, args, route) : route(name, args);
    return result as Promise<CallToolResult>;
  });
  server.setRequestHandler(
    "resources/list",
    (request) => listPage(catalog.snapshot(), "resources", request.params?.cursor, pageSize) as never,
  );
  server.setRequestHandler(
    "resources/templates/list",
    (request) => listPage(catalog.snapshot(), "resourceTemplates", request.params?.cursor, pageSize) as never,
  );
  server.setRequestHandler(
    "resources/read",
    (request, ctx) => routeResourceRead(routing, request.params.uri, { signal: ctx.mcpReq.signal }) as never,
  );
  server.setRequestHandler(
    "prompts/list",
    (request) => listPage(catalog.snapshot(), "prompts", request.params?.cursor, pageSize) as never,
  );
  server.setRequestHandler(
    "prompts/get",
    (request, ctx) =>
      routePromptGet(routing, request.params.name, request.params.arguments, { signal: ctx.mcpReq.signal }) as never,
  );
  return server;
}
