import {
  type CallToolResult,
  ErrorCode,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Catalog } from "../catalog/catalog.ts";
import { type BackendPool, BackendUnavailableError, type CallOptions } from "../federation/backend-pool.ts";

export interface RouteOptions extends Omit<CallOptions, "onnotification"> {
  /** Log messages (`notifications/message`) the backend sends during the call, for the client. Must not throw. */
  onlog?: (notification: LoggingMessageNotification) => void;
}

export type ToolCallOutcome = "ok" | "tool_error" | "unavailable" | "error" | "rate_limited";

export interface ToolCallRouting {
  catalog: Catalog;
  pool: BackendPool;
  /** Counts a call of the named tool against the caller's rate limits; throws the JSON-RPC error of a refusal. */
  admit?: (tool: string) => Promise<void>;
  /** Told of every routed call, for metrics, logs and the audit log. */
  onToolCall?: (event: { service: string; tool: string; outcome: ToolCallOutcome; durationMs: number }) => void;
}

/**
 * Sends a tools/call to the service that owns the tool and returns the result as the service sent it.
 * An unreachable service becomes a tool error a model can act on; an unknown tool is a JSON-RPC
 * InvalidParams error; anything else the service answers with is thrown as it came.
 */
export async function routeToolCall(
  { catalog, pool, admit, onToolCall }: ToolCallRouting,
  name: string,
  args: Record<string, unknown> | undefined,
  { onlog, ...options }: RouteOptions = {},
): Promise<CallToolResult> {
  const route = catalog.snapshot().routes.get(name);
  if (!route) {
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${name}". Call tools/list to see the available tools.`);
  }
  const started = performance.now();
  const report = (outcome: ToolCallOutcome) =>
    onToolCall?.({ service: route.service, tool: route.tool, outcome, durationMs: performance.now() - started });
  try {
    await admit?.(name);
  } catch (error) {
    report("rate_limited");
    throw error;
  }
  try {
    const onnotification = onlog && ((notification: unknown) => relayLog(notification, onlog));
    const result = await pool.request(
      route.service,
      "tools/call",
      { name: route.tool, ...(args === undefined ? {} : { arguments: args }) },
      { ...options, onnotification },
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
      content: [
        {
          type: "text",
          text: `${error.message}. The tool "${name}" cannot be used right now; try again later or use another tool.`,
        },
      ],
    };
  }
}

/** Passes on well-formed log messages only: the backend's other notifications concern the gateway's request, not the client's. */
function relayLog(notification: unknown, onlog: (notification: LoggingMessageNotification) => void): void {
  const log = LoggingMessageNotificationSchema.safeParse(notification);
  if (log.success) onlog(log.data);
}
