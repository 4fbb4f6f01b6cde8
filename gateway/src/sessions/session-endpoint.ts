/**
 * `/mcp` with sessions. Requests without `Mcp-Session-Id` are served exactly as in stateless mode,
 * except that an `initialize` is answered with a new session id. Requests with one must carry a valid
 * id (else 404, which tells the client to initialise again) and then get what a session adds: the GET
 * event stream of list changes, DELETE to end the session, and cancellation of calls across replicas.
 * Apart from that a session request is served statelessly too, by whichever replica receives it.
 */
import { acceptsEventStream, handleStatelessMcp } from "@mcp-federation/mcp-http";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CancelledNotificationSchema,
  InitializeRequestSchema,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type InitializeRequestParams,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallScope } from "./in-flight-calls.ts";
import type { McpSessions } from "./mcp-sessions.ts";
import type { Session } from "./session-ids.ts";

export const SESSION_HEADER = "mcp-session-id";

export interface SessionEndpointDeps {
  sessions: McpSessions;
  /** Builds the per-request MCP server; `scope` is set for requests of a session. */
  createServer: (scope?: CallScope) => Server;
  /** The fast path (see mcp-fast-path.ts), given the session's call scope. */
  answer: (message: unknown, request: Request, scope?: CallScope) => Promise<Response> | undefined;
  maxBodyBytes: number;
}

export function createSessionEndpoint(deps: SessionEndpointDeps): (request: Request) => Promise<Response> {
  const { sessions } = deps;
  return async (request) => {
    const id = request.headers.get(SESSION_HEADER);
    if (id === null) return serve(deps, request, undefined);
    const session = sessions.open(id);
    if (!session) return rpcError(404, -32001, "Session not found (unknown, expired or ended): send initialize to start a new one");
    if (request.method === "GET") {
      if (!acceptsEventStream(request)) return rpcError(406, -32000, "Not Acceptable: the GET stream needs Accept: text/event-stream");
      return sessions.listChanged.open(request.signal);
    }
    if (request.method === "DELETE") {
      await sessions.end(session);
      return new Response(null, { status: 200 });
    }
    return serve(deps, request, session);
  };
}

async function serve({ sessions, createServer, answer, maxBodyBytes }: SessionEndpointDeps, request: Request, session: Session | undefined): Promise<Response> {
  const scope = session && sessions.calls.scope(session.key);
  let initialize: InitializeRequestParams | undefined;
  const response = await handleStatelessMcp(request, () => createServer(scope), {
    maxBodyBytes,
    answer(message, req) {
      // Looked at by method first: parsing every message against these schemas would slow the hot path.
      const method = (message as { method?: unknown } | null)?.method;
      if (method === "initialize") initialize = InitializeRequestSchema.safeParse(message).data?.params;
      const cancelled = session && method === "notifications/cancelled" ? CancelledNotificationSchema.safeParse(message).data?.params.requestId : undefined;
      // Best effort, as cancellation is in MCP: a lost message leaves the call to finish on its own.
      if (session && cancelled !== undefined) sessions.calls.cancel(session.key, cancelled).catch(() => {});
      return answer(message, req, scope);
    },
  });
  if (!initialize || response.status !== 200) return response;
  const headers = new Headers(response.headers);
  headers.set(SESSION_HEADER, sessions.issue({ protocolVersion: negotiated(initialize.protocolVersion), clientCapabilities: initialize.capabilities }));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The version the SDK server answers an initialize with. */
function negotiated(requested: string): string {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}
