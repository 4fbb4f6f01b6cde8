/**
 * The gateway's `/mcp` for 2026-07-28 clients, on the v2 SDK's `createMcpHandler`, which owns that
 * revision's wire rules (`server/discover`, the header checks, `resultType`, cache fields, serverInfo in
 * `_meta`). Its factory is the gateway's one server factory (gateway-mcp-server.ts) over the caller's
 * view of the catalog with this revision's ways (modern-revision.ts): tools, resources and prompts go
 * through the same handlers and routing as 2025 requests, so permissions, rate limits, audit, call slots
 * and governance apply alike.
 *
 * `subscriptions/listen` streams are served by the SDK over the gateway's own event bus
 * (subscriptions/listen-events.ts), which knows each stream's caller; the resources a stream's filter
 * names are subscribed at their services while it is open (subscriptions/resource-updates.ts).
 *
 * A 2025 backend that asks the client something during a tool call, a prompt or a resource read has
 * the question relayed as an input-required result, the request held open meanwhile (held-calls.ts).
 */

import {
  type CallToolResult,
  classifyInboundRequest,
  createMcpHandler,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import type { CatalogView } from "../catalog/catalog.ts";
import type { ListenContext, ListenEvents } from "../subscriptions/listen-events.ts";
import type { ResourceUpdates } from "../subscriptions/resource-updates.ts";
import { createGatewayMcpServer } from "./gateway-mcp-server.ts";
import { type ModernRevisionDeps, modernRevision } from "./modern-revision.ts";
import { modernToolAnswer, plainModernCall } from "./modern-tool-call.ts";
import { isPlainToolResult } from "./plain-tool-result.ts";
import { routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";

export interface ModernMcpDeps extends Omit<ToolCallRouting, "catalog">, Omit<ModernRevisionDeps, "routed"> {
  pageSize: number;
  maxBodyBytes: number;
  listen: ListenEvents;
  resourceUpdates: ResourceUpdates;
}

/** Serves one 2026-07-28 request, whose body has been read already, from the caller's view. */
export type ModernMcp = (request: Request, parsedBody: unknown, catalog: CatalogView) => Promise<Response>;

const LEGACY_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS);

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
 * handler, any other outcome (an error, an input-required result already sealed) is handed to it, whose
 * tools/call handler then answers with that outcome instead of calling again.
 */
export function createModernMcp({
  pageSize,
  maxBodyBytes,
  requestStates,
  heldCalls,
  listen,
  resourceUpdates,
  ...routing
}: ModernMcpDeps): ModernMcp {
  const views = new WeakMap<Request, CatalogView>();
  const outcomes = new WeakMap<Request, Promise<CallToolResult>>();
  const handler = createMcpHandler(
    ({ requestInfo }) => {
      const catalog = requestInfo && views.get(requestInfo);
      if (!catalog) throw new Error("a 2026-07-28 request reached the gateway's handler without a catalog view");
      return createGatewayMcpServer(
        { ...routing, catalog, pageSize },
        modernRevision({ requestStates, heldCalls, routed: outcomes.get(requestInfo) }),
      );
    },
    { legacy: "reject", maxRequestBodySize: maxBodyBytes, bus: listen.bus },
  );
  const viaHandler = (request: Request, parsedBody: unknown, catalog: CatalogView) => {
    if (!isListen(parsedBody)) {
      views.set(request, catalog);
      return handler.fetch(request, { parsedBody });
    }
    const served = endingOnDrain(request, listen.draining);
    views.set(served, catalog);
    const uris = resourceSubscriptionsOf(parsedBody);
    const caller: ListenContext = {
      catalog,
      ...(uris.length > 0 ? { hold: () => resourceUpdates.holdForListen(catalog, uris) } : {}),
    };
    return listen.within(caller, () => handler.fetch(served, { parsedBody }));
  };
  return async (request, parsedBody, catalog) => {
    const call = catalog.toolIndex ? undefined : plainModernCall(request, parsedBody);
    if (!call || !catalog.snapshot().routes.has(call.name)) return viaHandler(request, parsedBody, catalog);
    // A plain call carries no requestState, input responses or progress token; the backend may still ask for input.
    const outcome = routeToolCall({ ...routing, catalog }, call.name, call.arguments, {
      signal: request.signal,
      clientCapabilities: call.clientCapabilities,
      inputRequired: { seal: (state) => requestStates.mint(state, "tools/call"), held: heldCalls },
    });
    const result = await outcome.catch(() => undefined);
    if (isPlainToolResult(result)) return modernToolAnswer(call.id, result);
    outcomes.set(request, outcome);
    return viaHandler(request, parsedBody, catalog);
  };
}

function isListen(body: unknown): boolean {
  return (body as { method?: unknown } | null)?.method === "subscriptions/listen";
}

/** The resource URIs a listen request's filter names; the SDK validates the filter itself before the stream opens. */
function resourceSubscriptionsOf(body: unknown): string[] {
  const uris = (body as { params?: { notifications?: { resourceSubscriptions?: unknown } } }).params?.notifications
    ?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((uri): uri is string => typeof uri === "string") : [];
}

/** The request with a signal that also aborts when the replica drains: the SDK ends a listen stream on it. */
function endingOnDrain(request: Request, draining: AbortSignal): Request {
  // Without the body, which the gateway has read already and passes to the SDK parsed.
  const { method, headers, signal } = request;
  return new Request(request.url, { method, headers, signal: AbortSignal.any([signal, draining]) });
}
