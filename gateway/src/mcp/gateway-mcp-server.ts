/**
 * The gateway's MCP server, one per request, for clients of either revision, built on the SDK's
 * low-level `Server` so that backend tool definitions (raw JSON Schema) and results pass through
 * untouched. Everything it needs comes from the in-memory catalog: no request here reads the database.
 *
 * Every handler is written once, over the same routing. What sets the revisions apart comes in as a
 * `Revision`: the 2025 one (legacy-revision.ts) carries a client's session, the 2026-07-28 one
 * (modern-revision.ts) a request's input-required round and its log level.
 */
import type {
  CallToolResult,
  Implementation,
  Server,
  ServerCapabilities,
  ServerContext,
  ServerOptions,
} from "@modelcontextprotocol/server";
import type { CallOptions } from "../federation/backend-pool.ts";
import { offersResourceSubscriptions } from "../subscriptions/resource-updates.ts";
import { callInSearchMode, SEARCH_MODE_TOOLS } from "../tool-search/search-mode.ts";
import { type ListName, listPage } from "./list-pages.ts";
import { offersCompletions, routeCompletion } from "./route-completion.ts";
import { routePromptGet, routeResourceRead } from "./route-resources-and-prompts.ts";
import { type RouteOptions, routeToolCall, type ToolCallRouting } from "./route-tool-call.ts";
import { setValidatedHandler } from "./validated-handler.ts";

export interface GatewayMcpDeps extends ToolCallRouting {
  /** Most entries in one page of a list (MCP_PAGE_SIZE). */
  pageSize: number;
}

/** What the requests of one protocol revision do their own way. */
export interface Revision {
  /** The SDK's server with the options only this revision has. */
  createServer(info: Implementation, options: ServerOptions): Server;
  /** Whether updates of subscribed resources can reach this client at all. */
  hearsResourceUpdates: boolean;
  /** Options of a forwarded request during which the backend cannot ask the client anything. */
  forwarding(ctx: ServerContext): CallOptions;
  /** Options of a forwarded request during which the backend may ask the client: a tool call, a read, a get. */
  asking(ctx: ServerContext): RouteOptions;
  /** The relay of a forwarded request's log messages to the client: a tool call, a read, a get. */
  logs(ctx: ServerContext): Pick<RouteOptions, "logLevel" | "onlog">;
  /** Makes a tool call, given how to make it under a signal. */
  call(ctx: ServerContext, call: (signal: AbortSignal) => Promise<CallToolResult>): Promise<CallToolResult>;
  /** Registers the handlers only this revision has; the capabilities are those the server offers. */
  setOwnHandlers?(server: Server, routing: ToolCallRouting, capabilities: ServerCapabilities): void;
}

export const GATEWAY_SERVER_INFO = { name: "mcp-federation-gateway", version: "1.0.0" };

const GATEWAY_INSTRUCTIONS =
  "Tools, resources and prompts federated from several MCP services. A tool or prompt named <service>__<name> belongs to that service.";

export function createGatewayMcpServer({ pageSize, ...routing }: GatewayMcpDeps, revision: Revision): Server {
  const { catalog } = routing;
  const completions = offersCompletions(catalog.snapshot());
  const subscribe = revision.hearsResourceUpdates && offersResourceSubscriptions(catalog.snapshot());
  // logging: backends' log messages during a tool call, a read or a get are relayed to the client on the
  // request's stream, at the level the client asked for (relay-log-level.ts, modern-log-relay.ts).
  const capabilities: ServerCapabilities = {
    tools: { listChanged: true },
    resources: { listChanged: true, ...(subscribe ? { subscribe: true } : {}) },
    prompts: { listChanged: true },
    logging: {},
    ...(completions ? { completions: {} } : {}),
  };
  const server = revision.createServer(GATEWAY_SERVER_INFO, { capabilities, instructions: GATEWAY_INSTRUCTIONS });

  const { toolIndex } = catalog;
  const page = (list: ListName, cursor: string | undefined) => listPage(catalog.snapshot(), list, cursor, pageSize);
  setValidatedHandler(server, "tools/list", (params) =>
    toolIndex ? { tools: SEARCH_MODE_TOOLS } : page("tools", params.cursor),
  );
  setValidatedHandler(server, "tools/call", (params, ctx) =>
    revision.call(ctx, (signal) => {
      const clientToken = ctx.mcpReq._meta?.progressToken;
      const options: RouteOptions = {
        ...revision.asking(ctx),
        ...revision.logs(ctx),
        signal,
        // Progress from the backend reaches the client under the client's own token, on the call's stream.
        onprogress:
          clientToken === undefined
            ? undefined
            : (progress) =>
                void ctx.mcpReq
                  .notify({ method: "notifications/progress", params: { ...progress, progressToken: clientToken } })
                  .catch(() => {}),
      };
      const route = (name: string, args: Record<string, unknown> | undefined) =>
        routeToolCall(routing, name, args, options);
      return toolIndex
        ? callInSearchMode(toolIndex, params.name, params.arguments, route)
        : route(params.name, params.arguments);
    }),
  );
  setValidatedHandler(server, "resources/list", (params) => page("resources", params.cursor));
  setValidatedHandler(server, "resources/templates/list", (params) => page("resourceTemplates", params.cursor));
  setValidatedHandler(server, "resources/read", (params, ctx) =>
    routeResourceRead(routing, params.uri, { ...revision.asking(ctx), ...revision.logs(ctx) }),
  );
  setValidatedHandler(server, "prompts/list", (params) => page("prompts", params.cursor));
  setValidatedHandler(server, "prompts/get", (params, ctx) =>
    routePromptGet(routing, params.name, params.arguments, { ...revision.asking(ctx), ...revision.logs(ctx) }),
  );
  if (completions)
    setValidatedHandler(server, "completion/complete", (params, ctx) =>
      routeCompletion(routing, params, revision.forwarding(ctx)),
    );
  revision.setOwnHandlers?.(server, routing, capabilities);
  return server;
}
