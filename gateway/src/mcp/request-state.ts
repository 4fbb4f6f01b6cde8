/**
 * The gateway's own `requestState` for a 2026-07-28 request (a tool call, a prompt, a resource read) that
 * a backend answered with an input-required result. It names the backend and the tool, prompt or
 * resource, and carries the backend's own state, so the
 * client's retry, on whichever replica it lands, goes back to the same backend with that backend's
 * state. It is signed (HMAC, the v2 SDK's codec) with a key every replica derives from the gateway's
 * session secret, bound to the caller and the method, and expires: a client can read it, but neither
 * alter it, nor hand it to another caller or method, nor keep it for later.
 */
import { createHash } from "node:crypto";
import { createRequestStateCodec, type ServerContext } from "@modelcontextprotocol/server";
import type { HeldTurn } from "./held-calls.ts";

/** What the gateway keeps in its state between the rounds of a call. */
export interface GatewayRequestState {
  /** The service that asked for input. */
  service: string;
  /** The tool or prompt as the client named it, or the resource's URI. */
  name: string;
  /** The service's own state, returned to it as it sent it. */
  state?: string;
  /** A 2025 service's call held open while the client answers what it asked (see held-calls.ts). */
  held?: HeldTurn;
}

/** How long a client may take to answer before its retry is refused (the SDK codec's default). */
const STATE_TTL_SECONDS = 600;

export interface RequestStates {
  /** Seals a state for the caller's next round of a `method` request. */
  mint(state: GatewayRequestState, method: string): Promise<string>;
  /** Checks a state a request echoes (`ServerOptions.requestState.verify`); throws unless it is the caller's, for this method. */
  verify(state: string, ctx: ServerContext): Promise<GatewayRequestState>;
}

/**
 * @param secret the gateway's session secret, the same on every replica
 * @param caller who is calling now (the identity's subject), for the binding
 */
export function createRequestStates(secret: string, caller: () => string | undefined): RequestStates {
  // The binding is in the key rather than in the codec's `bind`, which reads the method from a handler's
  // context: a tools/call answered before the SDK's handler runs (modern-tool-call.ts) has none. A state
  // of another method or caller then fails the MAC, which the SDK refuses alike (-32602).
  const codecFor = (method: string) =>
    createRequestStateCodec<GatewayRequestState>({
      key: keyOf(`mcp-request-state\u0000${secret}\u0000${method}\u0000${caller() ?? ""}`),
      ttlSeconds: STATE_TTL_SECONDS,
    });
  return {
    mint: (state, method) => codecFor(method).mint(state),
    verify: (state, ctx) => codecFor(ctx.mcpReq.method).verify(state, ctx),
  };
}

function keyOf(label: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(label).digest());
}
