/**
 * The gateway's own MCP server, built on the SDK's low-level `Server` so that backend tool definitions
 * (raw JSON Schema) and results pass through untouched. Everything it needs comes from the in-memory
 * catalog: no request here reads the database.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { Catalog } from "../catalog/catalog.ts";
import { BackendUnavailableError, type BackendPool } from "../federation/backend-pool.ts";

export interface GatewayMcpDeps {
  catalog: Catalog;
  pool: BackendPool;
  /** Told of every routed call, for metrics and logs. */
  onToolCall?: (event: { service: string; tool: string; outcome: "ok" | "tool_error" | "unavailable" | "error"; durationMs: number }) => void;
}

export const GATEWAY_SERVER_INFO = { name: "mcp-federation-gateway", version: "1.0.0" };

export function createGatewayMcpServer({ catalog, pool, onToolCall }: GatewayMcpDeps): Server {
  const server = new Server(GATEWAY_SERVER_INFO, {
    capabilities: { tools: { listChanged: true } },
    instructions: "Tools federated from several MCP services. A tool named <service>__<tool> belongs to that service.",
  });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: catalog.snapshot().tools as never }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args, _meta } = request.params;
    const route = catalog.snapshot().routes.get(name);
    if (!route) {
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${name}". Call tools/list to see the available tools.`);
    }
    const clientToken = _meta?.progressToken;
    const started = performance.now();
    const report = (outcome: "ok" | "tool_error" | "unavailable" | "error") =>
      onToolCall?.({ service: route.service, tool: route.tool, outcome, durationMs: performance.now() - started });
    try {
      const result = await pool.request(
        route.service,
        "tools/call",
        { name: route.tool, ...(args === undefined ? {} : { arguments: args }) },
        {
          signal: extra.signal,
          // Progress from the backend reaches the client under the client's own token.
          onprogress:
            clientToken === undefined
              ? undefined
              : (progress) => void extra.sendNotification({ method: "notifications/progress", params: { ...progress, progressToken: clientToken } }),
        },
      );
      report(result.isError === true ? "tool_error" : "ok");
      return result as CallToolResult;
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) {
        report("error");
        throw error;
      }
      report("unavailable");
      return {
        isError: true,
        content: [{ type: "text", text: `${error.message}. The tool "${name}" cannot be used right now; try again later or use another tool.` }],
      };
    }
  });

  return server;
}
