/**
 * `/mcp` with sessions. Requests without `Mcp-Session-Id` are served exactly as in stateless mode,
 * except that an `initialize` is answered with a new session id. Requests with one must carry a valid
 * id (else 404, which tells the client to initialise again) and then get what a session adds: the GET
 * event stream of list changes and of what backends send outside calls, DELETE to end the session, cancellation of calls across replicas, and
 * requests from backends to the client, whose answers (POSTs of JSON-RPC responses) are taken here and
 * handed to the replica running the call. Apart from that a session request is served statelessly too, by whichever replica receives it.
 */

import { acceptsEventStream } from "@mcp-federation/mcp-http";
import {
  type InitializeRequestParams,
  LATEST_PROTOCOL_VERSION,
  type Server,
  type StandardSchemaV1Sync,
  SUPPORTED_PROTOCOL_VERSIONS,
  specTypeSchemas,
} from "@modelcontextprotocol/server";
import { BAD_REQUEST, rpcErrorResponse, UNAUTHORIZED } from "../mcp/json-rpc-errors.ts";
import { handleStatelessMcp } from "../mcp/sdk-endpoint.ts";
import { askableCapabilities, type ClientAnswer } from "./client-requests.ts";
import type { McpSessions, SessionCallContext } from "./mcp-sessions.ts";
import type { Session } from "./session-ids.ts";

const SESSION_HEADER = "mcp-session-id";

export interface SessionEndpointDeps {
  sessions: McpSessions;
  /** Builds the per-request MCP server; `context` is set for requests of a session. */
  createServer: (context?: SessionCallContext) => Server;
  /** The fast path (see mcp-fast-path.ts), given the session's call context. */
  answer: (message: unknown, request: Request, context?: SessionCallContext) => Promise<Response> | undefined;
  maxBodyBytes: number;
  bodyReadTimeoutMs: number;
}

export function createSessionEndpoint(deps: SessionEndpointDeps): (request: Request) => Promise<Response> {
  const { sessions } = deps;
  return async (request) => {
    const id = request.headers.get(SESSION_HEADER);
    // Ending a session needs its id (the streamable HTTP transport answers such requests 400).
    if (id === null && request.method === "DELETE")
      return rpcErrorResponse(
        400,
        BAD_REQUEST,
        "Bad Request: DELETE needs the Mcp-Session-Id header of the session to end",
      );
    if (id === null) return serve(deps, request, undefined);
    const session = sessions.open(id);
    if (!session)
      return rpcErrorResponse(
        404,
        UNAUTHORIZED,
        "Session not found (unknown, expired or ended): send initialize to start a new one",
      );
    if (request.method === "GET") {
      if (!acceptsEventStream(request))
        return rpcErrorResponse(406, BAD_REQUEST, "Not Acceptable: the GET stream needs Accept: text/event-stream");
      return sessions.listChanged.open(request.signal, session.key, (write) =>
        sessions.links.attach(session.key, write),
      );
    }
    if (request.method === "DELETE") {
      await sessions.end(session);
      return new Response(null, { status: 200 });
    }
    return serve(deps, request, session);
  };
}

async function serve(
  { sessions, createServer, answer, maxBodyBytes, bodyReadTimeoutMs }: SessionEndpointDeps,
  request: Request,
  session: Session | undefined,
): Promise<Response> {
  const canStream = session !== undefined && acceptsEventStream(request);
  const context = session && {
    session,
    scope: sessions.calls.scope(session.key),
    askClient: sessions.clientRequests.askerFor(session, canStream),
    askable: askableCapabilities(session, canStream),
    link: sessions.links.linkFor(session),
  };
  let initialize: InitializeRequestParams | undefined;
  const response = await handleStatelessMcp(request, () => createServer(context), {
    maxBodyBytes,
    bodyReadTimeoutMs,
    answer(message, req) {
      const answers = session && clientAnswers(message);
      if (session && answers) return deliver(sessions, session.key, answers);
      // Looked at by method first: parsing every message against these schemas would slow the hot path.
      const method = (message as { method?: unknown } | null)?.method;
      if (method === "initialize") initialize = valid(specTypeSchemas.InitializeRequest, message)?.params;
      const cancelled =
        session && method === "notifications/cancelled"
          ? valid(specTypeSchemas.CancelledNotification, message)?.params.requestId
          : undefined;
      // Best effort, as cancellation is in MCP: a lost message leaves the call to finish on its own.
      if (session && cancelled !== undefined) sessions.calls.cancel(session.key, cancelled).catch(() => {});
      // For the backends that asked for the client's roots; the SDK server then accepts it as any notification.
      if (session && method === "notifications/roots/list_changed")
        sessions.links.relay(session.key, { method }).catch(() => {});
      return answer(message, req, context);
    },
  });
  if (!initialize || response.status !== 200) return response;
  const headers = new Headers(response.headers);
  headers.set(
    SESSION_HEADER,
    sessions.issue({
      protocolVersion: negotiated(initialize.protocolVersion),
      clientCapabilities: initialize.capabilities,
    }),
  );
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The messages of a body made only of JSON-RPC responses: a client's answers to requests it was sent. */
function clientAnswers(body: unknown): ClientAnswer[] | undefined {
  const messages = Array.isArray(body) ? body : [body];
  const isAnswer = (m: unknown) =>
    typeof m === "object" && m !== null && !("method" in m) && ("result" in m || "error" in m);
  return messages.every(isAnswer) ? (messages as ClientAnswer[]) : undefined;
}

/** Answered 202, as the transport answers responses. Best effort: a lost answer leaves the backend to its timeout. */
async function deliver(sessions: McpSessions, sessionKey: string, answers: ClientAnswer[]): Promise<Response> {
  await Promise.all(answers.map((answer) => sessions.clientRequests.deliver(sessionKey, answer).catch(() => {})));
  return new Response(null, { status: 202 });
}

/** `value` as the schema reads it, or undefined when it does not fit. */
function valid<T>(schema: StandardSchemaV1Sync<unknown, T>, value: unknown): T | undefined {
  const result = schema["~standard"].validate(value);
  return result.issues ? undefined : result.value;
}

/** The version the SDK server answers an initialize with. */
function negotiated(requested: string): string {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
}
