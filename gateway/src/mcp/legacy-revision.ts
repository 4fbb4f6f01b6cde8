/**
 * What the gateway's server does its own way for 2025 clients (see gateway-mcp-server.ts): a client
 * with a session can cancel its calls from any replica, be asked by backends during them, subscribe to
 * resources and set the level of backends' log messages; and errors carry that revision's codes.
 */
import type { RequestId, Server, ServerContext } from "@modelcontextprotocol/server";
import { forwardToClient } from "../sessions/client-requests.ts";
import type { SessionCallContext } from "../sessions/mcp-sessions.ts";
import type { ResourceUpdates } from "../subscriptions/resource-updates.ts";
import type { Revision } from "./gateway-mcp-server.ts";
import { LegacyServer } from "./legacy-server.ts";
import { relayLogLevel } from "./relay-log-level.ts";
import { setResourceSubscribeHandlers } from "./resource-subscribe-handlers.ts";
import { setValidatedHandler } from "./validated-handler.ts";

export interface LegacyRevisionDeps {
  /** Set for requests of a session: the client can cancel their calls from any replica, and be asked by backends. */
  session?: SessionCallContext;
  /** Resource subscriptions of sessions; undefined when sessions are off. */
  resourceUpdates?: ResourceUpdates;
}

export function legacyRevision({ session, resourceUpdates }: LegacyRevisionDeps): Revision {
  const client = session?.link;
  let built: Server | undefined;
  const forwarding = (ctx: ServerContext) => ({ signal: ctx.mcpReq.signal, client });
  /**
   * How the calls of request `requestId` ask the client: requests written straight to the transport, not
   * with ctx.mcpReq.send, since the answer may reach another replica and so needs an id unique to the
   * session (see client-requests.ts); and what a 2026-07-28 backend is told the client can be asked.
   */
  const asking = (requestId: RequestId) => ({
    onrequest: forwardToClient(session?.askClient, (message) =>
      built?.transport?.send(message, { relatedRequestId: requestId }),
    ),
    clientCapabilities: session?.askable,
  });
  return {
    createServer: (info, options) => {
      built = new LegacyServer(info, options);
      return built;
    },
    hearsResourceUpdates: resourceUpdates !== undefined,
    forwarding,
    asking: (ctx) => ({ ...forwarding(ctx), ...asking(ctx.mcpReq.id) }),
    logs: (ctx) => ({ onlog: (log) => void ctx.mcpReq.notify(log).catch(() => {}) }),
    call: (ctx, call) => (session ? session.scope(ctx.mcpReq.id, ctx.mcpReq.signal, call) : call(ctx.mcpReq.signal)),
    setOwnHandlers: (server, routing, capabilities) => {
      // Replaces the SDK's own handler, which only remembers the level for messages this server sends.
      setValidatedHandler(server, "logging/setLevel", (params, ctx) =>
        relayLogLevel(routing, params.level, forwarding(ctx)),
      );
      if (resourceUpdates && capabilities.resources?.subscribe)
        setResourceSubscribeHandlers(server, { catalog: routing.catalog, resourceUpdates, session: session?.session });
    },
  };
}
