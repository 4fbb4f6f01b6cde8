import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { mcpEndpoint } from "./backend-endpoint.ts";

export interface BackendTarget {
  name: string;
  url: string;
  /** Sent with every request to the backend (its bearer token or its own credentials). */
  headers: Record<string, string>;
}

export const GATEWAY_CLIENT_INFO = { name: "mcp-federation-gateway", version: "1.0.0" };

/** Opens an initialised SDK client to a backend, giving up after `timeoutMs`. */
export async function connectBackend(target: BackendTarget, timeoutMs: number): Promise<Client> {
  const client = new Client(GATEWAY_CLIENT_INFO, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(mcpEndpoint(target.url), {
    requestInit: { headers: target.headers },
    // Stateless backends never resume streams; retrying a dead one only delays the failure.
    reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
  });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}
