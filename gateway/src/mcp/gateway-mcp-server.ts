/**
 * The gateway's MCP server for 2025 clients (modern-mcp.ts has the 2026-07-28 one), built on the SDK's
 * low-level `Server` so that backend tool definitions (raw JSON Schema) and results pass through
 * untouched. Everything it needs comes from the in-memory catalog: no request here reads the database.
 */
import type { RequestId, Server } from "@modelcontextprotocol/server";
import { forwardToClient } from "../sessions/client-requests.ts";
import type { SessionCallContext } from "../sessions/mcp-sessions.ts";
import { offersResourceSubscriptions, type ResourceUpdates } from "../subscriptions/resource-updates.ts";
import { callInSearchMode, SEARCH_MODE_TOOLS } from "../tool-search/search-mode.ts";
import { LegacyServer } from "./legacy-server.ts";
import { listPage } from "./list-pages.ts";
import { relayLogLevel } from "./relay-log-level.ts";
import { setResourceAndPromptHandlers } from "./resource-and-prompt-handlers.ts";
import { setResourceSubscribeHandlers } from "./resource-subscribe-handlers.ts";
import { offersCompletions, routeCompletion } from "./route-completion.ts";
import { routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";
import { setValidatedHandler } from "./validated-handler.ts";

export interface GatewayMcpDeps extends ToolCallRouting {
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

export function createGatewayMcpServer({ pageSize, session, resourceUpdates, ...routing }: GatewayMcpDeps): Server {
  const completions = offersCompletions(routing.catalog.snapshot());
  const subscribe = resourceUpdates !== undefined && offersResourceSubscriptions(routing.catalog.snapshot());
  const server = new LegacyServer(GATEWAY_SERVER_INFO, {
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
  setValidatedHandler(server, "tools/list", (params) =>
    toolIndex ? { tools: SEARCH_MODE_TOOLS } : listPage(routing.catalog.snapshot(), "tools", params.cursor, pageSize),
  );
  const client = session?.link;
  /**
   * How the calls of request `requestId` ask the client: requests written straight to the transport, not
   * with ctx.mcpReq.send, since the answer may reach another replica and so needs an id unique to the
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
  setValidatedHandler(server, "logging/setLevel", (params, ctx) =>
    relayLogLevel(routing, params.level, { signal: ctx.mcpReq.signal, client }),
  );
  if (subscribe)
    setResourceSubscribeHandlers(server, { catalog: routing.catalog, resourceUpdates, session: session?.session });
  if (completions)
    setValidatedHandler(server, "completion/complete", (params, ctx) =>
      routeCompletion(routing, params, { signal: ctx.mcpReq.signal, client }),
    );

  setValidatedHandler(server, "tools/call", (params, ctx) => {
    const { name, arguments: args } = params;
    const { id, notify } = ctx.mcpReq;
    const clientToken = ctx.mcpReq._meta?.progressToken;
    const route = (signal: AbortSignal) => (name: string, args: Record<string, unknown> | undefined) =>
      routeToolCall(routing, name, args, {
        signal,
        client,
        // Progress from the backend reaches the client under the client's own token.
        onprogress:
          clientToken === undefined
            ? undefined
            : (progress) =>
                void notify({
                  method: "notifications/progress",
                  params: { ...progress, progressToken: clientToken },
                }).catch(() => {}),
        onlog: (log) => void notify(log).catch(() => {}),
        ...asking(id),
      });
    const call = (signal: AbortSignal) =>
      toolIndex ? callInSearchMode(toolIndex, name, args, route(signal)) : route(signal)(name, args);
    return session ? session.scope(id, ctx.mcpReq.signal, call) : call(ctx.mcpReq.signal);
  });

  return server;
}
