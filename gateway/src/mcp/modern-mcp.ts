/**
 * The gateway's `/mcp` for 2026-07-28 clients, on the v2 SDK's `createMcpHandler`, which owns that
 * revision's wire rules (`server/discover`, the header checks, `resultType`, cache fields, serverInfo in
 * `_meta`). Its factory builds a low-level v2 `Server` per request over the caller's view of the
 * catalog; tools, resources and prompts go through the same routing as 2025 requests, so permissions,
 * rate limits, audit, call slots and governance apply alike.
 *
 * A 2026-07-28 backend's input-required result to a tool call, a prompt or a resource read reaches the
 * client with a request state of the gateway's own (request-state.ts), and the client's retry goes back
 * to that backend with the backend's state and the client's answers.
 *
 * Progress a backend reports on a call reaches the client under the client's token, and its log
 * messages reach a client that asked for them with the call (modern-log-relay.ts).
 *
 * `subscriptions/listen` streams are served by the SDK over the gateway's own event bus
 * (subscriptions/listen-events.ts), which knows each stream's caller; the resources a stream's filter
 * names are subscribed at their services while it is open (subscriptions/resource-updates.ts).
 *
 * A 2025 backend that asks the client something during a tool call, a prompt or a resource read has
 * the question relayed as an input-required result, the request held open meanwhile (held-calls.ts).
 */

import {
  type CacheHint,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  classifyInboundRequest,
  createMcpHandler,
  Server,
  type ServerContext,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import type { CatalogView } from "../catalog/catalog.ts";
import type { ListenContext, ListenEvents } from "../subscriptions/listen-events.ts";
import { offersResourceSubscriptions, type ResourceUpdates } from "../subscriptions/resource-updates.ts";
import { callInSearchMode, SEARCH_MODE_TOOLS } from "../tool-search/search-mode.ts";
import { GATEWAY_INSTRUCTIONS, GATEWAY_SERVER_INFO } from "./gateway-mcp-server.ts";
import type { HeldCalls } from "./held-calls.ts";
import type { InputRequiredRound } from "./input-required-round.ts";
import { listPage } from "./list-pages.ts";
import { modernLogRelay } from "./modern-log-relay.ts";
import { modernToolAnswer, plainModernCall } from "./modern-tool-call.ts";
import { isPlainToolResult } from "./plain-tool-result.ts";
import type { GatewayRequestState, RequestStates } from "./request-state.ts";
import { offersCompletions, routeCompletion } from "./route-completion.ts";
import { type ForwardRouting, routePromptGet, routeResourceRead } from "./route-resources-and-prompts.ts";
import { routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";

export interface ModernMcpDeps extends Omit<ToolCallRouting, "catalog"> {
  pageSize: number;
  maxBodyBytes: number;
  /** Seals and checks the gateway's request state of calls that backends answered with input-required. */
  requestStates: RequestStates;
  /** Calls of 2025 backends that asked the client something, held while the client answers. */
  heldCalls: HeldCalls;
  listen: ListenEvents;
  resourceUpdates: ResourceUpdates;
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
      return createModernServer(
        { ...routing, catalog },
        pageSize,
        { requestStates, heldCalls },
        outcomes.get(requestInfo),
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

function createModernServer(
  routing: ToolCallRouting & ForwardRouting,
  pageSize: number,
  { requestStates, heldCalls }: Pick<ModernMcpDeps, "requestStates" | "heldCalls">,
  /** The outcome of this request's tools/call, when it was routed before the handler ran. */
  routed?: Promise<CallToolResult>,
): Server {
  const completions = offersCompletions(routing.catalog.snapshot());
  const server = new Server(GATEWAY_SERVER_INFO, {
    // listChanged: subscriptions/listen streams hear of catalog changes on any replica (listen-events.ts).
    // resources.subscribe: the URIs a listen filter names are subscribed at their services.
    capabilities: {
      tools: { listChanged: true },
      resources: {
        listChanged: true,
        ...(offersResourceSubscriptions(routing.catalog.snapshot()) ? { subscribe: true } : {}),
      },
      prompts: { listChanged: true },
      // Deprecated in this revision but still its way to receive a call's log messages (modern-log-relay.ts).
      logging: {},
      ...(completions ? { completions: {} } : {}),
    },
    instructions: GATEWAY_INSTRUCTIONS,
    cacheHints: CACHE_HINTS,
    // A state that fails the check never reaches the handler: the SDK answers -32602 for it.
    requestState: { verify: requestStates.verify },
  });
  const { catalog } = routing;
  const { toolIndex } = catalog;
  /**
   * What a request that may be answered with an input-required result takes: the client's
   * capabilities for the backend, and the round (a retry's verified state and answers).
   */
  const askingOptions = (ctx: ServerContext) => ({
    signal: ctx.mcpReq.signal,
    clientCapabilities: clientCapabilitiesOf(ctx.mcpReq.envelope),
    inputRequired: {
      resumed: ctx.mcpReq.requestState<GatewayRequestState>(),
      inputResponses: ctx.mcpReq.inputResponses,
      seal: (state: GatewayRequestState) => requestStates.mint(state, ctx.mcpReq.method),
      held: heldCalls,
    } satisfies InputRequiredRound,
  });
  // The catalog holds definitions as the backends sent them, typed by the 1.x SDK: the wire shape is the same.
  server.setRequestHandler("tools/list", (request) =>
    toolIndex
      ? ({ tools: SEARCH_MODE_TOOLS } as never)
      : (listPage(catalog.snapshot(), "tools", request.params?.cursor, pageSize) as never),
  );
  server.setRequestHandler("tools/call", (request, ctx) => {
    if (routed) return routed;
    const { name, arguments: args } = request.params;
    const clientToken = ctx.mcpReq._meta?.progressToken;
    const route = (name: string, args: Record<string, unknown> | undefined) =>
      routeToolCall(routing, name, args, {
        ...askingOptions(ctx),
        ...modernLogRelay(ctx),
        // Progress from the backend reaches the client under the client's own token, on the call's stream.
        onprogress:
          clientToken === undefined
            ? undefined
            : (progress) =>
                void ctx.mcpReq
                  .notify({ method: "notifications/progress", params: { ...progress, progressToken: clientToken } })
                  .catch(() => {}),
      });
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
    (request, ctx) => routeResourceRead(routing, request.params.uri, askingOptions(ctx)) as never,
  );
  if (completions)
    server.setRequestHandler(
      "completion/complete",
      (request, ctx) => routeCompletion(routing, request.params as never, { signal: ctx.mcpReq.signal }) as never,
    );
  server.setRequestHandler(
    "prompts/list",
    (request) => listPage(catalog.snapshot(), "prompts", request.params?.cursor, pageSize) as never,
  );
  server.setRequestHandler(
    "prompts/get",
    (request, ctx) =>
      routePromptGet(routing, request.params.name, request.params.arguments, askingOptions(ctx)) as never,
  );
  return server;
}

/**
 * What the client declared it can be asked, passed on to the backend: a backend asks only for input the
 * client can give. (The SDK types the envelope as an empty object; the key is the revision's.)
 */
function clientCapabilitiesOf(envelope: object | undefined): Record<string, unknown> | undefined {
  const capabilities = (envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return typeof capabilities === "object" && capabilities !== null
    ? (capabilities as Record<string, unknown>)
    : undefined;
}
