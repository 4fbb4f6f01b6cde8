/**
 * The gateway's MCP session with one backend: initialised once (on first use) to learn the protocol
 * version to send and, from a stateful backend, its session id; then every request is one POST (see
 * json-rpc-exchange.ts). A stateful backend that no longer knows the session (it restarted, or expired
 * it) answers 404: the session is opened again, once, and the request repeated.
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { LATEST_PROTOCOL_VERSION, McpError, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { mcpEndpoint } from "./backend-endpoint.ts";
import { type ExchangeOptions, exchange, type Notification, notify, type RequestId } from "./json-rpc-exchange.ts";
import { GATEWAY_CLIENT_INFO, type HttpTarget } from "./mcp-connection.ts";
import { TransportFailure } from "./transport-failure.ts";

export type RequestOptions = Pick<
  ExchangeOptions,
  "signal" | "onprogress" | "onnotification" | "onrequest" | "timeoutMs" | "deadline" | "maxAnswerBytes"
>;

export interface BackendSession {
  /** Sends a request and returns its result as the backend sent it (see `exchange` for the errors). */
  request(method: string, params: Record<string, unknown>, options: RequestOptions): Promise<Record<string, unknown>>;
  /** Ends the backend's session, if it keeps one; requests still running are not affected. */
  close(): void;
}

/** The session with a backend reached over HTTP. */
export interface HttpBackendSession extends BackendSession {
  /** Posts a notification in the session, if it is open (a session not open yet has nothing to be told). */
  notify(notification: Notification): Promise<void>;
}

/** A session as initialised: where and with which headers its messages go. */
export interface OpenedSession {
  url: URL;
  /** The headers of its POSTs, the session id and protocol version included. */
  headers: Record<string, string>;
  /** Undefined for a backend that keeps no sessions. */
  sessionId?: string;
}

export interface BackendSessionOptions {
  target: HttpTarget;
  fetch: FetchLike;
  /** Longest the initialisation and other housekeeping messages may wait for an answer. */
  connectTimeoutMs: number;
  /**
   * Checked before every initialisation: why the gateway must not connect to this URL now, if so. A
   * backend's host name may resolve to another address than at registration (DNS rebinding).
   */
  refuse?: (url: string) => Promise<string | undefined>;
  /** Told of every session the backend opens (again after it forgot one), e.g. to listen on its event stream. Must not throw. */
  onopened?: (session: OpenedSession) => void;
}

interface Handshake {
  /** The headers of every POST after initialisation. */
  headers: Record<string, string>;
  sessionId?: string;
}

/**
 * What the gateway's clients may be asked through it: it passes these requests on to the client of the
 * call or backend session that sent them, and answers for a client that cannot take them with an error.
 */
const GATEWAY_CLIENT_CAPABILITIES = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };

const POST_HEADERS = { Accept: "application/json, text/event-stream", "Content-Type": "application/json" };

export function createBackendSession({
  target,
  fetch,
  connectTimeoutMs,
  refuse,
  onopened,
}: BackendSessionOptions): HttpBackendSession {
  const url = mcpEndpoint(target.url);
  let nextId = 0;
  let handshake: Promise<Handshake> | undefined;

  const initialize = async (): Promise<Handshake> => {
    const refused = await refuse?.(target.url);
    if (refused) throw new TransportFailure(`the gateway does not connect to it: ${refused}`);
    const headers = { ...target.headers, ...POST_HEADERS };
    const params = {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: GATEWAY_CLIENT_CAPABILITIES,
      clientInfo: GATEWAY_CLIENT_INFO,
    };
    const answer = await exchange(
      { id: nextId++, method: "initialize", params },
      { fetch, url, headers, timeoutMs: connectTimeoutMs },
    ).catch((error: unknown) => {
      // A backend that refuses to initialise cannot take calls: it failed, it did not answer a call.
      throw error instanceof McpError
        ? new TransportFailure(`the service refused to initialise: ${error.message}`)
        : error;
    });
    const version = answer.result.protocolVersion;
    if (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new TransportFailure(`the service speaks an unsupported MCP protocol version (${String(version)})`);
    }
    const sessionId = answer.headers.get("mcp-session-id") ?? undefined;
    const next: Handshake = {
      headers: {
        ...headers,
        "Mcp-Protocol-Version": version,
        ...(sessionId === undefined ? {} : { "Mcp-Session-Id": sessionId }),
      },
      sessionId,
    };
    // Before `initialized`: a backend often asks for the client's roots as soon as it has that, on its event stream.
    onopened?.({ url, headers: next.headers, sessionId });
    await notify(
      { method: "notifications/initialized" },
      { fetch, url, headers: next.headers, timeoutMs: connectTimeoutMs },
    );
    return next;
  };

  /** Starts a handshake that every request waits for; a failed one is forgotten, so the next request tries again. */
  const open = (): Promise<Handshake> => {
    const started = initialize();
    handshake = started;
    started.catch(() => {
      if (handshake === started) handshake = undefined;
    });
    return started;
  };

  const send = async (
    { headers, sessionId }: Handshake,
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions,
  ) => {
    const id = nextId++;
    const withToken = options.onprogress
      ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } }
      : params;
    try {
      return (await exchange({ id, method, params: withToken }, { ...options, fetch, url, headers, progressToken: id }))
        .result;
    } catch (error) {
      // A stateful backend keeps working on a request whose stream was cut, unless told otherwise.
      if (sessionId !== undefined && wasCutOff(error)) cancel(headers, id, error);
      throw error;
    }
  };

  const cancel = (headers: Record<string, string>, requestId: RequestId, reason: unknown) => {
    const params = { requestId, reason: reason instanceof Error ? reason.message : String(reason) };
    notify({ method: "notifications/cancelled", params }, { fetch, url, headers, timeoutMs: connectTimeoutMs }).catch(
      () => {},
    );
  };

  return {
    async request(method, params, options) {
      const used = handshake ?? open();
      // The handshake is shared and has its own timeout; a request's own time may run out sooner.
      const current = await abortable(used, options.signal);
      try {
        return await send(current, method, params, options);
      } catch (error) {
        if (current.sessionId === undefined || !(error instanceof TransportFailure) || error.status !== 404)
          throw error;
        // The backend forgot the session: start one handshake again, shared with concurrent requests.
        const reopened = handshake === used || handshake === undefined ? open() : handshake;
        return send(await reopened, method, params, options);
      }
    },

    async notify(notification) {
      const current = await handshake?.catch(() => undefined);
      if (current) await notify(notification, { fetch, url, headers: current.headers, timeoutMs: connectTimeoutMs });
    },

    close() {
      void handshake
        ?.then(({ headers, sessionId }) => {
          if (sessionId === undefined) return;
          return fetch(url, {
            method: "DELETE",
            headers,
            signal: AbortSignal.timeout(connectTimeoutMs),
            redirect: "manual",
          }).then((r) => r.body?.cancel());
        })
        .catch(() => {});
    },
  };
}

/** `work`, or the signal's reason once it aborts first. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

/** Whether the request may still be running on the backend: it neither answered it nor refused it with an HTTP error. */
function wasCutOff(error: unknown): boolean {
  if (error instanceof McpError) return false;
  return !(error instanceof TransportFailure && error.status !== undefined);
}
