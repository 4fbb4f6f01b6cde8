/**
 * What the gateway's server does its own way for 2026-07-28 clients (see gateway-mcp-server.ts): a
 * backend's input-required result reaches the client with a request state of the gateway's own
 * (request-state.ts), and the client's retry goes back to that backend with the backend's state and the
 * client's answers; a call's log messages reach the client at the level its request names
 * (modern-log-relay.ts); lists carry cache hints. Resource updates reach the client on
 * `subscriptions/listen` streams, which modern-mcp.ts serves.
 */
import {
  type CacheHint,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  Server,
} from "@modelcontextprotocol/server";
import type { Revision } from "./gateway-mcp-server.ts";
import type { HeldCalls } from "./held-calls.ts";
import type { InputRequiredRound } from "./input-required-round.ts";
import { modernLogRelay } from "./modern-log-relay.ts";
import type { GatewayRequestState, RequestStates } from "./request-state.ts";

export interface ModernRevisionDeps {
  /** Seals and checks the gateway's request state of calls that backends answered with input-required. */
  requestStates: RequestStates;
  /** Calls of 2025 backends that asked the client something, held while the client answers. */
  heldCalls: HeldCalls;
  /** The outcome of this request's tools/call, when it was routed before the SDK's handler ran. */
  routed?: Promise<CallToolResult>;
}

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

export function modernRevision({ requestStates, heldCalls, routed }: ModernRevisionDeps): Revision {
  return {
    createServer: (info, options) =>
      new Server(info, {
        ...options,
        cacheHints: CACHE_HINTS,
        // A state that fails the check never reaches the handler: the SDK answers -32602 for it.
        requestState: { verify: requestStates.verify },
      }),
    // The URIs a listen stream's filter names are subscribed at their services.
    hearsResourceUpdates: true,
    forwarding: (ctx) => ({ signal: ctx.mcpReq.signal }),
    // The client's capabilities for the backend, and the round (a retry's verified state and answers).
    asking: (ctx) => ({
      signal: ctx.mcpReq.signal,
      clientCapabilities: clientCapabilitiesOf(ctx.mcpReq.envelope),
      inputRequired: {
        resumed: ctx.mcpReq.requestState<GatewayRequestState>(),
        inputResponses: ctx.mcpReq.inputResponses,
        seal: (state: GatewayRequestState) => requestStates.mint(state, ctx.mcpReq.method),
        held: heldCalls,
      } satisfies InputRequiredRound,
    }),
    // Deprecated in this revision but still its way to receive a call's log messages.
    logs: modernLogRelay,
    call: (ctx, call) => routed ?? call(ctx.mcpReq.signal),
  };
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
