/**
 * Loop protection. Every request the gateway sends to a backend carries a hop header with this
 * deployment's marker; a request that arrives with its own marker has come back through the gateway
 * (it is registered as one of its own backends, directly, through a proxy or as another replica) and is
 * refused at once, instead of fanning out into nested calls until the timeout. The marker is derived
 * from the secrets replicas share, so they recognise each other's requests without telling a backend
 * anything about those secrets.
 */
import { createHmac } from "node:crypto";
import type { FetchLike } from "@modelcontextprotocol/client";
import type { MiddlewareHandler } from "hono";
import { withHeader } from "./with-header.ts";

const HOP_HEADER = "Mcp-Gateway-Hop";

/** HTTP 508 Loop Detected; its JSON-RPC error carries this text, which discovery recognises. */
const LOOP_MESSAGE = "Request loop: this request has already passed through this MCP gateway";

export function hopMarker(sharedSecret: string): string {
  return createHmac("sha256", sharedSecret).update("mcp-gateway-hop").digest("base64url").slice(0, 22);
}

/** Adds the marker to the hop header, keeping the markers of gateways the request passed before. */
export function fetchWithHopMarker(marker: string, inner: FetchLike): FetchLike {
  const add = (previous: string | null) => (previous ? `${previous}, ${marker}` : marker);
  return (url, init) => inner(url, withHeader(init, HOP_HEADER, add));
}

/** The same for a backend's static headers, for clients that take headers rather than a fetch. */
export function withHopMarker(marker: string, headers: Record<string, string>): Record<string, string> {
  return { ...headers, [HOP_HEADER]: marker };
}

/** Refuses a request that carries this gateway's own marker. */
export function refuseLoops(marker: string): MiddlewareHandler {
  const refusal = loopRefusal(marker);
  return async (c, next) => refusal(c.req.raw) ?? next();
}

/** The refusal of a request that carries this gateway's own marker, or undefined (for app.ts's direct `/mcp` lane). */
export function loopRefusal(marker: string): (request: Request) => Response | undefined {
  return (request) => {
    const hops = request.headers.get(HOP_HEADER);
    if (!hops?.split(",").some((hop) => hop.trim() === marker)) return undefined;
    return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32600, message: LOOP_MESSAGE }, id: null }), {
      status: 508,
      headers: { "Content-Type": "application/json" },
    });
  };
}

/** True when a backend error is this gateway refusing its own request, i.e. the backend is the gateway. */
export function isLoopRefusal(error: unknown): boolean {
  return error instanceof Error && error.message.includes(LOOP_MESSAGE);
}
