/**
 * The gateway's own `requestState` for a 2026-07-28 request (a tool call, a prompt, a resource read) that
 * a backend answered with an input-required result. It names the backend and the tool, prompt or
 * resource, and carries the backend's own state, so the
 * client's retry, on whichever replica it lands, goes back to the same backend with that backend's
 * state. It is signed (HMAC, the v2 SDK's codec) with a key every replica derives from the gateway's
 * session secret, bound to the caller and the method, and expires: a client can read it, but neither
 * alter it, nor hand it to another caller, nor keep it for later.
 */
import { createHash } from "node:crypto";
import { createRequestStateCodec } from "@modelcontextprotocol/server";
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

export type RequestStates = ReturnType<typeof createRequestStates>;

/**
 * @param secret the gateway's session secret, the same on every replica
 * @param caller who is calling now (the identity's subject), for the binding
 */
export function createRequestStates(secret: string, caller: () => string | undefined) {
  // A key of its own, derived with a label, so request states and session ids never share one.
  const key = new Uint8Array(createHash("sha256").update(`mcp-request-state\u0000${secret}`).digest());
  return createRequestStateCodec<GatewayRequestState>({
    key,
    ttlSeconds: STATE_TTL_SECONDS,
    bind: (ctx) => `${ctx.mcpReq.method}\u0000${caller() ?? ""}`,
  });
}
