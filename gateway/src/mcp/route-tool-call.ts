import { ErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Catalog } from "../catalog/catalog.ts";
import { BackendUnavailableError, type BackendPool, type CallOptions } from "../federation/backend-pool.ts";

export type ToolCallOutcome = "ok" | "tool_error" | "unavailable" | "error";

export interface ToolCallRouting {
  catalog: Catalog;
  pool: BackendPool;
  /** Told of every routed call, for metrics and logs. */
  onToolCall?: (event: { service: string; tool: string; outcome: ToolCallOutcome; durationMs: number }) => void;
}

/**
 * Sends a tools/call to the service that owns the tool and returns the result as the service sent it.
 * An unreachable service becomes a tool error a model can act on; an unknown tool is a JSON-RPC
 * InvalidParams error; anything else the service answers with is thrown as it came.
 */
export async function routeToolCall(
  { catalog, pool, onToolCall }: ToolCallRouting,
  name: string,
  args: Record<string, unknown> | undefined,
  options: CallOptions = {},
): Promise<CallToolResult> {
  const route = catalog.snapshot().routes.get(name);
  if (!route) {
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${name}". Call tools/list to see the available tools.`);
  }
  const started = performance.now();
  const report = (outcome: ToolCallOutcome) =>
    onToolCall?.({ service: route.service, tool: route.tool, outcome, durationMs: performance.now() - started });
  try {
    const result = await pool.request(route.service, "tools/call", { name: route.tool, ...(args === undefined ? {} : { arguments: args }) }, options);
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
}
