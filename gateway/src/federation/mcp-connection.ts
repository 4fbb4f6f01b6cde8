import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { guardAnswer, requestIdOf } from "./answer-guard.ts";
import { mcpEndpoint } from "./backend-endpoint.ts";
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

/** The fetch the SDK transport uses: answers streamed as events are guarded, so a backend dying mid-call fails the call at once. */
function createBackendFetch(longestQuietMs: number): FetchLike {
  const idleTolerant = createIdleTolerantFetch(longestQuietMs);
  return async (url, init) => {
    const response = await idleTolerant(url, init);
    const id = requestIdOf(init);
    return id === undefined ? response : guardAnswer(response, id, init?.signal);
  };
}

/**
 * Opens an initialised SDK client to a backend (for discovery, which lists what a backend offers once),
 * giving up on any request that gets no answer within `timeoutMs`.
 */
export async function connectBackend(target: BackendTarget, timeoutMs: number): Promise<Client> {
  const client = new Client(GATEWAY_CLIENT_INFO, { capabilities: {} });
  if ("stdio" in target) return connectStdioClient(client, target.stdio, timeoutMs);
  const transport = new StreamableHTTPClientTransport(mcpEndpoint(target.url), {
    requestInit: { headers: target.headers },
    fetch: createBackendFetch(timeoutMs),
    // Stateless backends never resume streams; retrying a dead one only delays the failure.
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 1000,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1,
    },
  });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}
