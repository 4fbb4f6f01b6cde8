import { Client, type FetchLike } from "@modelcontextprotocol/client";
import type { StdioLaunch } from "./stdio-channel.ts";
import { connectStdioClient } from "./stdio-client-transport.ts";

/** A backend reached over HTTP. */
export interface HttpTarget {
  name: string;
  url: string;
  /** Sent with every request to the backend (its bearer token or its own credentials). */
  headers: Record<string, string>;
  /**
   * The protocol revision the backend was found to speak when it was registered; left out, the
   * session finds it out before its first request.
   */
  revision?: string;
}

/** A backend the gateway runs itself and speaks to over the process's stdin and stdout. */
export interface StdioTarget {
  name: string;
  stdio: StdioLaunch;
}

export type BackendTarget = HttpTarget | StdioTarget;

export const GATEWAY_CLIENT_INFO = { name: "mcp-federation-gateway", version: "1.0.0" };

/** Added to our own deadline so that Bun's idle timer (checked in ticks of seconds) always fires after it. */
const FETCH_IDLE_GRACE_MS = 1000;

/**
 * Fetch for requests to a backend on which a request may stay quiet for up to `longestQuietMs`; every
 * request the gateway makes to a backend goes through it.
 *
 * Bun's fetch drops a connection that stays quiet for 5 minutes (BUN_CONFIG_HTTP_IDLE_TIMEOUT), which
 * would cut a legitimately quiet call when TOOL_CALL_TIMEOUT_MS is longer. Our own request timeout is
 * the deadline that counts (it names the service and resets on progress); Bun's idle timer is set just
 * behind it, so it only reclaims the socket of a request we already gave up on.
 */
export function createIdleTolerantFetch(longestQuietMs: number): FetchLike {
  const timeout = longestQuietMs + FETCH_IDLE_GRACE_MS;
  // Redirects are never followed: the URL policy vetted the backend's address, not where it points next.
  return (url, init) => fetch(url, { ...init, timeout, redirect: "manual" });
}

/**
 * Opens an initialised SDK client to a stdio backend (for discovery, which lists what a backend offers
 * once), giving up on any request that gets no answer within `timeoutMs`. HTTP backends are discovered
 * over the raw session calls use (backend-session.ts).
 */
export async function connectBackend(target: StdioTarget, timeoutMs: number): Promise<Client> {
  // The SDK's default negotiation is the plain 2025 handshake, what stdio backends are spoken to in.
  return connectStdioClient(new Client(GATEWAY_CLIENT_INFO, { capabilities: {} }), target.stdio, timeoutMs);
}
