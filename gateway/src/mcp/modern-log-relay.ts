/**
 * Backends' log messages during a 2026-07-28 client's tool call, resource read or prompt get. That
 * revision deprecates logging but keeps it as an opt-in per request: a request whose `_meta` names
 * `io.modelcontextprotocol/logLevel` may be answered with `notifications/message` of that level or more
 * severe, on its own stream; one that names none gets no log messages. The level goes on to a
 * 2026-07-28 backend with the request; a 2025 backend sends at the level of its session with the
 * gateway, so what is below the client's is dropped here.
 */
import { LOG_LEVEL_META_KEY, type ServerContext } from "@modelcontextprotocol/server";
import type { RouteOptions } from "./route-tool-call.ts";

/** The levels from least to most severe. */
const SEVERITY = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

/** The level the request asks for, and the relay of log messages at it or above onto the request's stream; nothing when it asks for none. */
export function modernLogRelay(ctx: ServerContext): Pick<RouteOptions, "logLevel" | "onlog"> {
  const level = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
  const least = typeof level === "string" ? SEVERITY.indexOf(level) : -1;
  if (least < 0) return {};
  return {
    logLevel: level as string,
    onlog: (log) => {
      if (SEVERITY.indexOf(log.params.level) >= least) void ctx.mcpReq.notify(log).catch(() => {});
    },
  };
}
