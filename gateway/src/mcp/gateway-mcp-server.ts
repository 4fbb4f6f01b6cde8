/**
 * The gateway's own MCP server, built on the SDK's low-level `Server` so that backend tool definitions
 * (raw JSON Schema) and results pass through untouched. Everything it needs comes from the in-memory
 * catalog: no request here reads the database.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  ListToolsRequestSchema,
  type RequestId,
  SetLevelRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { forwardToClient } from "../sessions/client-requests.ts";
import type { SessionCallContext } from "../sessions/mcp-sessions.ts";
import { offersResourceSubscriptions, type ResourceUpdates } from "../subscriptions/resource-updates.ts";
import { callInSearchMode, SEARCH_MODE_TOOLS } from "../tool-search/search-mode.ts";
import { listPage } from "./list-pages.ts";
import { relayLogLevel } from "./relay-log-level.ts";
import { setResourceAndPromptHandlers } from "./resource-and-prompt-handlers.ts";
import { setResourceSubscribeHandlers } from "./resource-subscribe-handlers.ts";
import { offersCompletions, routeCompletion } from "./route-completion.ts";
import { routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";
import { setValidatedHandler } from "./validated-handler.ts";

export interface GatewayMcpDeps extends ToolCallRouting {
  /**
   * Shared by the per-request servers: without one, every `Server` compiles its own Ajv instance, which
   * costs more than the rest of a request.
   */
  jsonSchemaValidator: jsonSchemaValidator;
  /** Most entries in one page of a list (MCP_PAGE_SIZE). */
  pageSize: number;
  /** Set for requests of a session: the client can cancel their calls from any replica, and be asked by backends. */
  session?: SessionCallContext;
  /** Resource subscriptions of sessions; undefined when sessions are off. */
  resourceUpdates?: ResourceUpdates;
}

export const GATEWAY_SERVER_INFO = { name: "mcp-federation-gateway", version: "1.0.0" };

export const GATEWAY_INSTRUCTIONS =
  "Tools, resources and prompts federated from several MCP services. A tool or prompt named <service>__<name> belongs to that service.";

export function createGatewayMcpServer({
  jsonSchemaValidator,
  pageSize,
  session,
  resourceUpdates,
  ...routing
}: GatewayMcpDeps): Server {
  const completions = offersCompletions(routing.catalog.snapshot());
  const subscribe = resourceUpdates !== undefined && offersResourceSubscriptions(routing.catalog.snapshot());
  const server = new Server(GATEWAY_SERVER_INFO, {
    jsonSchemaValidator,
    // logging: backends' log messages about a call are relayed to the client on the call's stream, at
    // the level the client set on them (relay-log-level.ts).
    capabilities: {
      tools: { listChanged: true },
      resources: { listChanged: true, ...(subscribe ? { subscribe: true } : {}) },
      prompts: { listChanged: true },
      logging: {},
      ...(completions ? { completions: {} } : {}),
    },
    instructions: GATEWAY_INSTRUCTIONS,
  });

  const { toolIndex } = routing.catalog;
  setValidatedHandler(server, ListToolsRequestSchema, (request) =>
    toolIndex
      ? { tools: SEARCH_MODE_TOOLS }
      : listPage(routing.catalog.snapshot(), "tools", request.params?.cursor, pageSize),
  );
  const client = session?.link;
  /**
   * How the calls of request `requestId` ask the client: requests written straight to the transport, not
   * with extra.sendRequest, since the answer may reach another replica and so needs an id unique to the
   * session (see client-requests.ts); and what a 2026-07-28 backend is told the client can be asked.
   */
  const asking = (requestId: RequestId) => ({
    onrequest: forwardToClient(session?.askClient, (message) =>
      server.transport?.send(message, { relatedRequestId: requestId }),
    ),
    clientCapabilities: session?.askable,
  });
  setResourceAndPromptHandlers(server, { ...routing, pageSize, client, asking });
  // Replaces the SDK's own handler, which only remembers the level for messages this server sends.
  setValidatedHandler(server, SetLevelRequestSchema, (request, extra) =>
    relayLogLevel(routing, request.params.level, { signal: extra.signal, client }),
  );
  if (subscribe)
    setResourceSubscribeHandlers(server, { catalog: routing.catalog, resourceUpdates, session: session?.session });
  if (completions)
    setValidatedHandler(server, CompleteRequestSchema, (request, extra) =>
      routeCompletion(routing, request.params, { signal: extra.signal, client }),
    );

  setValidatedHandler(server, CallToolRequestSchema, (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args, _meta } = request.params;
    const clientToken = _meta?.progressToken;
    const route = (signal: AbortSignal) => (name: string, args: Record<string, unknown> | undefined) =>
      routeToolCall(routing, name, args, {
        signal,
        client,
        // Progress from the backend reaches the client under the client's own token.
        onprogress:
          clientToken === undefined
            ? undefined
            : (progress) =>
                void extra.sendNotification({
                  method: "notifications/progress",
                  params: { ...progress, progressToken: clientToken },
                }),
        onlog: (log) => void extra.sendNotification(log).catch(() => {}),
        ...asking(extra.requestId),
      });
    const call = (signal: AbortSignal) =>
      toolIndex ? callInSearchMode(toolIndex, name, args, route(signal)) : route(signal)(name, args);
    return session ? session.scope(extra.requestId, extra.signal, call) : call(extra.signal);
  });

  return server;
}
