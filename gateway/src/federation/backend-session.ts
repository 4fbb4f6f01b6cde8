/**
 * The gateway's MCP session with one backend, in the revision the backend speaks. A 2026-07-28 backend
 * has no handshake and no session: each request carries the revision's `_meta` and headers (see
 * modern-wire.ts). A 2025 backend is initialised once (on first use) to learn the protocol version to
 * send and, from a stateful backend, its session id. Either way every request is then one POST (see
 * json-rpc-exchange.ts). A stateful backend that no longer knows the session (it restarted, or expired
 * it) answers 404: the session is opened again, once, and the request repeated.
 *
 * At registration the session finds the revision out (`findRevision`): `server/discover` first, and
 * `initialize` when the backend does not know that method. Calls use the revision registration
 * recorded; a service registered before revisions were recorded is spoken to in 2025, as it was then.
 * A backend replaced in place by a server of the other revision refuses requests as such a server
 * does: the session then asks its revision again (as often as `revisionCheck` allows), goes on in the
 * new one and sends the refused request once more.
 */
import {
  type FetchLike,
  LATEST_PROTOCOL_VERSION,
  ProtocolError,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/client";
import { mcpEndpoint } from "./backend-endpoint.ts";
import { createCallDeadline } from "./call-deadline.ts";
import { type ExchangeOptions, exchange, type Notification, notify, type RequestId } from "./json-rpc-exchange.ts";
import { GATEWAY_CLIENT_INFO, type HttpTarget } from "./mcp-connection.ts";
import {
  fromModernResult,
  isModernRevision,
  MODERN_REVISION,
  modernRequestHeaders,
  withModernEnvelope,
} from "./modern-wire.ts";
import { TransportFailure } from "./transport-failure.ts";

export type RequestOptions = Pick<
  ExchangeOptions,
  "signal" | "onprogress" | "onnotification" | "onrequest" | "timeoutMs" | "deadline" | "maxAnswerBytes"
> & {
  /**
   * What the gateway's own client can be asked, declared to a 2026-07-28 backend for this request (it
   * passes the backend's input requests on to that client); none when left out.
   */
  clientCapabilities?: Record<string, unknown>;
  /**
   * The least severe log messages a 2026-07-28 backend may send during this request, in place of the
   * level last set through the gateway (a 2026-07-28 client asks for its own with each request).
   */
  logLevel?: string;
};

/** What the backend said of itself when the session opened. */
export interface BackendPeer {
  /** The protocol revision spoken with it. */
  revision: string;
  /** Its server capabilities, from its `server/discover` or `initialize` result. */
  capabilities: Record<string, unknown>;
}

export interface BackendSession {
  /** Sends a request and returns its result as the backend sent it (see `exchange` for the errors). */
  request(method: string, params: Record<string, unknown>, options: RequestOptions): Promise<Record<string, unknown>>;
  /** The revision the session's latest request was sent in; undefined before the first. */
  revision?(): string | undefined;
  /** Ends the backend's session, if it keeps one; requests still running are not affected. */
  close(): void;
}

/** A session over HTTP, which can also tell what the backend said of itself (for discovery). */
export interface HttpBackendSession extends BackendSession {
  /** Opens the session if it is not open yet. */
  open(signal?: AbortSignal): Promise<BackendPeer>;
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
  /** Ask the backend which revision it speaks instead of using the target's. */
  findRevision?: boolean;
  /**
   * Told of every session the backend opens (again after it forgot one), e.g. to listen on its event
   * stream; `initialized` waits for what it returns. Must not reject.
   */
  onopened?: (session: OpenedSession) => Promise<unknown> | undefined;
  /**
   * For a backend that may have been replaced in place by a server of the other revision: asked, when a
   * request is refused the way such a server refuses it, whether the backend's revision may be found
   * out again now (rate-limited by the caller), and told when it was found to have changed.
   */
  revisionCheck?: RevisionCheck;
}

export interface RevisionCheck {
  /** Whether the revision may be asked now; it may ask the other replicas first. Must not reject. */
  due(): Promise<boolean>;
  /** Must not throw. */
  changed(revision: string): void;
}

interface Handshake extends BackendPeer {
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
  findRevision = false,
  onopened,
  revisionCheck,
}: BackendSessionOptions): HttpBackendSession {
  const url = mcpEndpoint(target.url);
  const baseHeaders = { ...target.headers, ...POST_HEADERS };
  let nextId = 0;
  let handshake: Promise<Handshake> | undefined;
  /**
   * Handshakes that completed, by their promise: a request on one needs no race against its signal
   * (a promise, a listener and a race for every call otherwise).
   */
  const settled = new WeakMap<Promise<Handshake>, Handshake>();
  /**
   * The log level last set through the gateway, for a 2026-07-28 backend, which has no
   * logging/setLevel: it is sent with every request instead, as that revision asks.
   */
  let logLevel: string | undefined;
  /** The revision the backend was registered with, until the session finds it speaks another. */
  let recorded = target.revision;
  /** The revision of the latest request's handshake. */
  let spoken: string | undefined;

  const housekeeping = () => ({ fetch, url, timeoutMs: connectTimeoutMs });

  const initialize = async (): Promise<Handshake> => {
    const params = {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: GATEWAY_CLIENT_CAPABILITIES,
      clientInfo: GATEWAY_CLIENT_INFO,
    };
    const answer = await exchange(
      { id: nextId++, method: "initialize", params },
      { ...housekeeping(), headers: baseHeaders },
    ).catch((error: unknown) => {
      // A backend that refuses to initialise cannot take calls: it failed, it did not answer a call.
      throw error instanceof ProtocolError
        ? new TransportFailure(`the service refused to initialise: ${error.message}`)
        : error;
    });
    const version = answer.result.protocolVersion;
    if (typeof version !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new TransportFailure(`the service speaks an unsupported MCP protocol version (${String(version)})`);
    }
    const sessionId = answer.headers.get("mcp-session-id") ?? undefined;
    const next: Handshake = {
      revision: version,
      capabilities: objectOr(answer.result.capabilities),
      headers: {
        ...baseHeaders,
        "Mcp-Protocol-Version": version,
        ...(sessionId === undefined ? {} : { "Mcp-Session-Id": sessionId }),
      },
      sessionId,
    };
    // Before `initialized`, and once the stream is there: a backend often asks for the client's roots as soon as
    // it has that, on its event stream, and a server with no stream open yet drops what it sends.
    await onopened?.({ url, headers: next.headers, sessionId });
    await notify({ method: "notifications/initialized" }, { ...housekeeping(), headers: next.headers });
    return next;
  };

  const modern = (capabilities: Record<string, unknown>): Handshake => ({
    revision: MODERN_REVISION,
    capabilities,
    headers: { ...baseHeaders, "Mcp-Protocol-Version": MODERN_REVISION },
  });

  /**
   * Asks the backend what it is: a 2026-07-28 backend answers; any other shows it does not know the
   * method, or (a 2025 server that ignores what it does not know) says nothing until the time is up.
   */
  const discover = async (): Promise<Record<string, unknown> | undefined> => {
    const params = withModernEnvelope({}, MODERN_REVISION, GATEWAY_IDENTITY);
    const headers = { ...baseHeaders, "Mcp-Protocol-Version": MODERN_REVISION, ...modernRequestHeaders(DISCOVER, {}) };
    const deadline = createCallDeadline({ timeoutMs: connectTimeoutMs });
    try {
      const options = { ...housekeeping(), headers, deadline, errorsWithStatus: true };
      return (await exchange({ id: nextId++, method: DISCOVER, params }, options)).result;
    } catch (error) {
      if (error === deadline.signal.reason || speaksOnlyLegacy(error)) return undefined;
      throw error;
    } finally {
      deadline.dispose();
    }
  };

  /** The revision the registration recorded, or the one found out by asking. */
  const handshakeWith = async (): Promise<Handshake> => {
    const refused = await refuse?.(target.url);
    if (refused) throw new TransportFailure(`the gateway does not connect to it: ${refused}`);
    if (!findRevision) return isModernRevision(recorded) ? modern({}) : initialize();
    const discovered = await discover();
    return speaksModern(discovered) ? modern(objectOr(discovered?.capabilities)) : initialize();
  };

  /** Starts a handshake that every request waits for; a failed one is forgotten, so the next request tries again. */
  const open = (): Promise<Handshake> => {
    const started = handshakeWith();
    handshake = started;
    started.then(
      (done) => void settled.set(started, done),
      () => {
        if (handshake === started) handshake = undefined;
      },
    );
    return started;
  };

  const send = async (
    { headers, sessionId, revision }: Handshake,
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions,
  ) => {
    const id = nextId++;
    const withToken = options.onprogress
      ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } }
      : params;
    const isModern = isModernRevision(revision);
    const level = options.logLevel ?? logLevel;
    const body = isModern
      ? withModernEnvelope(withToken, revision, {
          clientInfo: GATEWAY_CLIENT_INFO,
          capabilities: options.clientCapabilities ?? {},
          ...(level === undefined ? {} : { logLevel: level }),
        })
      : withToken;
    const allHeaders = isModern ? { ...headers, ...modernRequestHeaders(method, params) } : headers;
    try {
      const { result } = await exchange(
        { id, method, params: body },
        { ...options, fetch, url, headers: allHeaders, progressToken: id, errorsWithStatus: isModern },
      );
      return isModern ? fromModernResult(result) : result;
    } catch (error) {
      // A stateful backend keeps working on a request whose stream was cut, unless told otherwise.
      if (sessionId !== undefined && wasCutOff(error)) cancel(headers, id, error);
      throw error;
    }
  };

  const cancel = (headers: Record<string, string>, requestId: RequestId, reason: unknown) => {
    const params = { requestId, reason: reason instanceof Error ? reason.message : String(reason) };
    notify({ method: "notifications/cancelled", params }, { ...housekeeping(), headers }).catch(() => {});
  };

  const requestIn = async (
    used: Promise<Handshake>,
    requested: string,
    params: Record<string, unknown>,
    options: RequestOptions,
  ): Promise<Record<string, unknown>> => {
    // The handshake is shared and has its own timeout; a request's own time may run out sooner.
    const current = settled.get(used) ?? (await abortable(used, options.signal));
    spoken = current.revision;
    const isModern = isModernRevision(current.revision);
    if (isModern && requested === "logging/setLevel") {
      logLevel = typeof params.level === "string" ? params.level : undefined;
      return {};
    }
    // The 2026-07-28 revision has no ping: asking the backend what it is shows just as well that it answers.
    const method = requested === "ping" && isModern ? DISCOVER : requested;
    try {
      const result = await send(current, method, params, options);
      return method === requested ? result : {};
    } catch (error) {
      if (current.sessionId === undefined || !(error instanceof TransportFailure) || error.status !== 404) throw error;
      // The backend forgot the session: start one handshake again, shared with concurrent requests.
      const reopened = handshake === used || handshake === undefined ? open() : handshake;
      return send(await reopened, method, params, options);
    }
  };

  /**
   * Asks the backend which revision it speaks, if the check allows it now; when that is not the one
   * spoken so far, the session goes on in the new one (its handshake started) and the check is told.
   */
  const checkRevision = async (): Promise<boolean> => {
    if (!revisionCheck || !(await revisionCheck.due())) return false;
    const before = await handshake?.catch(() => undefined);
    const discovered = await discover().catch(() => null);
    // Not answered (down, refused the gateway's credentials): nothing is known, the request's error stands.
    if (discovered === null) return false;
    const modernNow = speaksModern(discovered);
    if (modernNow === isModernRevision(before?.revision ?? recorded)) return false;
    const next = modernNow ? Promise.resolve(modern(objectOr(discovered?.capabilities))) : initialize();
    handshake = next;
    next.then(
      ({ revision }) => {
        recorded = revision;
        revisionCheck.changed(revision);
      },
      () => {
        if (handshake === next) handshake = undefined;
      },
    );
    return true;
  };
  /** The check under way, which requests refused meanwhile wait for rather than fail at once. */
  let checking: Promise<boolean> | undefined;
  const revisionChanged = (signal: AbortSignal | undefined): Promise<boolean> => {
    if (!checking) {
      const started = checkRevision().finally(() => {
        if (checking === started) checking = undefined;
      });
      checking = started;
    }
    return abortable(checking, signal);
  };

  return {
    revision: () => spoken,

    async open(signal) {
      const { revision, capabilities } = await abortable(handshake ?? open(), signal);
      return { revision, capabilities };
    },

    async request(requested, params, options) {
      const used = handshake ?? open();
      try {
        return await requestIn(used, requested, params, options);
      } catch (error) {
        if (!(revisionCheck && refusedAsOtherRevision(error))) throw error;
        // Another request may have found the backend's new revision meanwhile; else it is asked, if due.
        const switched = handshake !== undefined && handshake !== used;
        if (!switched && !(await revisionChanged(options.signal))) throw error;
        // The backend refused the request before working on it: it is sent once more, in its new revision.
        return requestIn(handshake ?? open(), requested, params, options);
      }
    },

    async notify(notification) {
      const current = await handshake?.catch(() => undefined);
      // A 2026-07-28 backend keeps no session that a notification could belong to.
      if (current && !isModernRevision(current.revision))
        await notify(notification, { ...housekeeping(), headers: current.headers });
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

const DISCOVER = "server/discover";

/** Who the gateway is to a 2026-07-28 backend when it asks on its own behalf (discovery, health checks). */
const GATEWAY_IDENTITY = { clientInfo: GATEWAY_CLIENT_INFO, capabilities: {} };

/**
 * Whether the backend's answer to `server/discover` says it does not know the 2026-07-28 revision: a
 * JSON-RPC error (method not found, not initialised, unsupported version), or an HTTP client error a
 * 2025 server gives a request without a session (400, 404, 405, 406). Missing credentials (401, 403)
 * and server errors say nothing about the revision: they fail the handshake as they are.
 */
function speaksOnlyLegacy(error: unknown): boolean {
  if (error instanceof ProtocolError) return true;
  const status = error instanceof TransportFailure ? error.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403;
}

/** Whether a `server/discover` result (undefined: the backend does not know the method) names the 2026-07-28 revision. */
function speaksModern(discovered: Record<string, unknown> | undefined): boolean {
  const versions = discovered?.supportedVersions;
  return Array.isArray(versions) && versions.includes(MODERN_REVISION);
}

/**
 * Whether the backend refused a request the way a server of the other revision refuses it: a 2025
 * server a 2026-07-28 request (HTTP 400: not initialised, unsupported protocol version), a 2026-07-28
 * server a 2025 one or `initialize` (HTTP 400, -32022 unsupported protocol version). Other HTTP client
 * errors of the kind count too (as for `server/discover` at registration); which revision the backend
 * speaks is then asked, so an error of another cause costs one question.
 */
function refusedAsOtherRevision(error: unknown): boolean {
  if (error instanceof ProtocolError) return error.code === UNSUPPORTED_PROTOCOL_VERSION;
  const status = error instanceof TransportFailure ? error.status : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403;
}

/** The JSON-RPC error of a server asked in a protocol version it does not speak (2026-07-28). */
const UNSUPPORTED_PROTOCOL_VERSION = -32022;

function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
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
  if (error instanceof ProtocolError) return false;
  return !(error instanceof TransportFailure && error.status !== undefined);
}
