import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/core";
import {
  type CallToolResult,
  type LoggingMessageNotification,
  ProtocolError,
  ProtocolErrorCode,
} from "@modelcontextprotocol/server";
import { notPermitted } from "../access/not-permitted.ts";
import type { CatalogView } from "../catalog/catalog.ts";
import type { ToolRoute } from "../catalog/catalog-snapshot.ts";
import {
  type BackendPool,
  BackendUnavailableError,
  CallLimitError,
  type CallOptions,
} from "../federation/backend-pool.ts";
import { isModernRevision } from "../federation/modern-wire.ts";
import { truncateResult } from "../governance/result-limit.ts";
import type { Tracing } from "../observability/tracing.ts";
import { MAX_ARGUMENT_DEPTH, nestsDeeperThan } from "./argument-depth.ts";
import { checkResumed, continuation, type InputRequiredRound } from "./input-required-round.ts";
import { relayRounds } from "./relay-rounds.ts";

export interface RouteOptions extends Omit<CallOptions, "onnotification"> {
  /** Log messages (`notifications/message`) the backend sends during the call, for the client. Must not throw. */
  onlog?: (notification: LoggingMessageNotification) => void;
  /**
   * Set for a 2026-07-28 client, which can answer a backend's input-required result. Without it (a
   * 2025 client) the gateway asks the client itself with `onrequest`, round after round (see
   * legacy-input-rounds.ts); without either such a result becomes a tool error.
   */
  inputRequired?: InputRequiredRound;
}

export type ToolCallOutcome = "ok" | "tool_error" | "unavailable" | "busy" | "too_large" | "rate_limited" | "error";

export interface ToolCallRouting {
  catalog: CatalogView;
  pool: BackendPool;
  /**
   * Counts a call of the named tool against the caller's rate limits; rejects with the JSON-RPC error of
   * a refusal. Undefined when no limit applies.
   */
  admit?: (tool: string) => Promise<void> | undefined;
  /** Told of every routed call, for metrics, logs and the audit log. */
  onToolCall?: (event: { service: string; tool: string; outcome: ToolCallOutcome; durationMs: number }) => void;
  /** Traces the catalog lookup and the call to the backend; undefined when tracing is off. */
  tracing?: Tracing;
}

/**
 * Sends a tools/call to the service that owns the tool and returns the result as the service sent it.
 * An unreachable service becomes a tool error a model can act on; an unknown tool is a JSON-RPC
 * InvalidParams error; anything else the service answers with is thrown as it came.
 */
export async function routeToolCall(
  { catalog, pool, admit, onToolCall, tracing }: ToolCallRouting,
  name: string,
  args: Record<string, unknown> | undefined,
  { onlog, inputRequired, ...options }: RouteOptions = {},
): Promise<CallToolResult> {
  const snapshot = catalog.snapshot();
  const lookup = tracing?.step("catalog lookup", "internal", { "mcp.tool.name": name });
  const route = snapshot.routes.get(name);
  if (!route) {
    const withheld = snapshot.withheld?.tools.has(name) === true;
    lookup?.end(withheld ? "not_permitted" : "unknown_tool");
    if (withheld) throw notPermitted(`the tool "${name}"`);
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown tool "${name}". Call tools/list to see the available tools.`,
    );
  }
  lookup?.end("ok", { "mcp.service": route.service });
  checkResumed(inputRequired, route.service, name);
  if (nestsDeeperThan(args, MAX_ARGUMENT_DEPTH)) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `The arguments of "${name}" nest deeper than ${MAX_ARGUMENT_DEPTH} levels, which the gateway does not pass on.`,
    );
  }
  const { limits } = route;
  const truncates = limits?.onOversize === "truncate" && limits.maxResultBytes !== undefined;
  const started = performance.now();
  const call = tracing?.step("backend tools/call", "client", {
    "rpc.system": "jsonrpc",
    "rpc.method": "tools/call",
    "mcp.service": route.service,
    "mcp.tool.name": route.tool,
  });
  const report = (outcome: ToolCallOutcome) => {
    call?.end(outcome);
    onToolCall?.({ service: route.service, tool: route.tool, outcome, durationMs: performance.now() - started });
  };
  try {
    const admitting = admit?.(name);
    if (admitting) await admitting;
  } catch (error) {
    report("rate_limited");
    throw error;
  }
  try {
    const onnotification = logRelay(onlog);
    const sent = withGovernedArguments(route, args);
    const params = {
      name: route.tool,
      ...(sent === undefined ? {} : { arguments: sent }),
      ...continuation(inputRequired),
    };
    const callOptions = {
      ...options,
      onnotification,
      timeoutMs: limits?.timeoutMs,
      // A truncating limit reads up to the gateway's cap and cuts afterwards; a failing one stops reading at the limit.
      maxAnswerBytes: truncates ? undefined : limits?.maxResultBytes,
    };
    const send = (more?: Record<string, unknown>, sentOptions: CallOptions = callOptions) => {
      const sentParams = more ? { ...params, ...more } : params;
      // Untraced calls go straight out: the hot path allocates nothing for tracing when it is off.
      return call
        ? call.run(() => pool.request(route.service, "tools/call", sentParams, sentOptions))
        : pool.request(route.service, "tools/call", sentParams, sentOptions);
    };
    const relayed = await relayRounds({
      round: inputRequired,
      service: route.service,
      name,
      what: `the tool "${name}"`,
      send,
      options: callOptions,
      // Holding is bookkeeping every call would pay for; a service last spoken to in 2026-07-28 cannot ask.
      serviceMayAsk: inputRequired?.held === undefined || !isModernRevision(pool.revision(route.service)),
    });
    if ("failure" in relayed) {
      report("tool_error");
      return toolError(relayed.failure);
    }
    const result = relayed.result as CallToolResult;
    if (relayed.forClient) {
      report("ok");
      return result;
    }
    report(result.isError === true ? "tool_error" : "ok");
    return truncates && limits.maxResultBytes !== undefined
      ? truncateResult(result, limits.maxResultBytes, name)
      : result;
  } catch (error) {
    if (error instanceof CallLimitError) {
      report(error.limit);
      if (error.limit === "too_large" && limits?.maxResultBytes !== undefined && !truncates)
        return toolError(
          `The result of "${name}" is larger than ${limits.maxResultBytes} bytes, the most the gateway passes on for this tool; ask it for less at a time.`,
        );
      return toolError(`${error.message}.`);
    }
    if (!(error instanceof BackendUnavailableError)) {
      report("error");
      throw error;
    }
    report("unavailable");
    return toolError(
      `${error.message}. The tool "${name}" cannot be used right now; try again later or use another tool.`,
    );
  }
}

/** The client's arguments with the tool's defaults under them and its fixed arguments over them. */
function withGovernedArguments(
  { fixedArguments, defaultArguments }: ToolRoute,
  args: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (!fixedArguments && !defaultArguments) return args;
  return { ...defaultArguments, ...args, ...fixedArguments };
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text }] };
}

/**
 * The backend's notifications during a request as the client's log messages: well-formed log messages
 * only, since its other notifications concern the gateway's request, not the client's.
 */
export function logRelay(
  onlog: ((notification: LoggingMessageNotification) => void) | undefined,
): CallOptions["onnotification"] {
  if (!onlog) return undefined;
  return (notification) => {
    const log = LoggingMessageNotificationSchema.safeParse(notification);
    if (log.success) onlog(log.data);
  };
}
