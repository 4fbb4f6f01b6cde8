/**
 * An SDK client behind a pretend load balancer over two gateway replicas: its POSTs and DELETEs
 * alternate between them, its GET (the session's event stream) goes to one chosen replica.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { TEST_BEARER } from "./gateway-harness.ts";

export type Replica = "a" | "b";

export interface SeenRequest {
  replica: Replica;
  method: string;
  /** The Mcp-Session-Id the client sent. */
  session: string | null;
  /** Set once the response arrives: a request is recorded as it is sent, its replica being known then. */
  status?: number;
  /** The JSON-RPC method of a POST. */
  rpc?: string;
}

export async function connectBalancedClient(
  urls: Record<Replica, string>,
  streamTo: Replica,
  capabilities: ClientCapabilities = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  let turn = 0;
  const balanced = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? "GET";
    const replica: Replica = method === "GET" ? streamTo : turn++ % 2 === 0 ? "a" : "b";
    const target = new URL(new URL(String(input)).pathname, urls[replica]);
    const rpc = typeof init?.body === "string" ? (JSON.parse(init.body) as { method?: string }).method : undefined;
    // Recorded before the answer: a cancelled call's answer may come after the test has looked.
    const request: SeenRequest = { replica, method, session: new Headers(init?.headers).get("mcp-session-id"), rpc };
    seen.push(request);
    const response = await fetch(target, init);
    request.status = response.status;
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(`${urls.a}/mcp`), {
    fetch: balanced,
    requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
  });
  const client = new Client({ name: "balanced", version: "1.0.0" }, { capabilities });
  await client.connect(transport);
  return { client, transport, seen };
}
