/**
 * One reused MCP session per backend, following the catalog: sessions of new services open lazily on
 * first use, sessions of deleted or moved services close. Every call and health check goes through the
 * backend's circuit breaker, so a dead backend is answered for at once instead of being tried by every
 * caller, and the pool keeps each backend's last known state for /health, /services and metrics.
 * Every call also takes one of the backend's own slots (see call-limiter.ts), so a backend that hangs
 * holds its own slots and sockets, not those the other backends and all health checks need.
 */
import { type FetchLike, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import type { Claim } from "../catalog/replica-claims.ts";
import type { Logger } from "../logger.ts";
import { redactUrl, redactUrlsIn } from "../security/redact-url.ts";
import { openBackendEventStream } from "./backend-event-stream.ts";
import {
  type BackendSession,
  type BackendSessionOptions,
  createBackendSession,
  type RevisionCheck,
} from "./backend-session.ts";
import { createCallDeadline } from "./call-deadline.ts";
import { type CallLimiter, createCallLimiter, LimitReached, type Release } from "./call-limiter.ts";
import { type Attempt, type CircuitBreaker, type CircuitState, createCircuitBreaker } from "./circuit-breaker.ts";
import { type ClientLink, type Connection, createClientBackendSessions } from "./client-backend-sessions.ts";
import { probeHealth } from "./health-probe.ts";
import {
  AnswerTooLarge,
  type BackendRequest,
  type Notification,
  type Progress,
  UnsendableRequest,
} from "./json-rpc-exchange.ts";
import { type BackendTarget, createIdleTolerantFetch, type HttpTarget } from "./mcp-connection.ts";
import type { StdioLaunch } from "./stdio-channel.ts";
import { DEFAULT_RESTART_BACKOFF, type RestartBackoff, type StdioProcess, startStdioProcess } from "./stdio-process.ts";
import { createStdioSession } from "./stdio-session.ts";
import { describeFailure, TransportFailure } from "./transport-failure.ts";

export type BackendStatus = "unknown" | "up" | "down";

export interface BackendState {
  name: string;
  url: string;
  status: BackendStatus;
  lastError?: string;
  lastChangeAt?: string;
  circuit: CircuitState;
  consecutiveFailures: number;
  lastCheckAt?: string;
  /** Requests to the backend under way now, waiting for a slot now, and refused for want of one since start. */
  calls: { inFlight: number; waiting: number; refused: number };
}

/**
 * A limit of the gateway stopped the call, not a failure of the backend: every slot for calls to it was
 * taken (`busy`), or its answer was larger than the gateway reads (`too_large`). Neither opens its
 * circuit. The message names the service and the limit.
 */
export class CallLimitError extends Error {
  constructor(
    readonly service: string,
    readonly limit: "busy" | "too_large",
    message: string,
  ) {
    super(message);
  }
}

/** The backend could not be reached or did not answer in time; the message names the service. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
  ) {
    super(`Service "${service}" is unavailable: ${reason}`);
  }
}

export interface CallOptions {
  /** Aborting it aborts the request to the backend, which sees the disconnect. */
  signal?: AbortSignal;
  /** Progress the backend reports on the call; each one restarts the call timeout, within the maximum duration. Must not throw. */
  onprogress?: (progress: Progress) => void;
  /** Every other notification the backend sends on the call's stream (logging, other progress tokens). Must not throw. */
  onnotification?: (notification: Notification) => void;
  /**
   * Answers what the backend asks the caller's client during the call (sampling, elicitation, roots), with a
   * result or by throwing (a ProtocolError keeps its code). Reaches only backends that keep sessions.
   */
  onrequest?: (request: BackendRequest, signal: AbortSignal) => Promise<Record<string, unknown>>;
  /** What the caller's client can be asked, declared to a 2026-07-28 backend (see RequestOptions). */
  clientCapabilities?: Record<string, unknown>;
  /** The least severe log messages the caller's client asked for during this request (see RequestOptions). */
  logLevel?: string;
  /** Replaces the pool's call timeout for this request (a tool's own limit). */
  timeoutMs?: number;
  /** The client of a session at the gateway: the request goes in its own session with the backend (see client-backend-sessions.ts). */
  client?: ClientLink;
  /** Replaces the pool's largest answer for this request (a tool's own limit). */
  maxAnswerBytes?: number;
}

export interface BackendPool {
  /** Makes the pool match the registry: opens nothing yet, closes sessions of targets that left or changed. */
  sync(targets: readonly BackendTarget[]): void;
  /**
   * Sends a JSON-RPC request to the backend and returns its result as sent. An error the backend answers
   * with is thrown as ProtocolError; a backend that did not answer as BackendUnavailableError.
   */
  request(
    service: string,
    method: string,
    params: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * Health-checks the backend within `timeoutMs` and books the outcome like a call's. Skipped while
   * its circuit is open, so a dead backend costs nothing until its cool-down is over.
   */
  check(service: string, timeoutMs: number): Promise<void>;
  states(): BackendState[];
  state(service: string): BackendState | undefined;
  /** The revision the latest request over the service's shared session was sent in; undefined before one (and for stdio). */
  revision(service: string): string | undefined;
  /** Closes the backend sessions of a client whose session at the gateway ended. */
  endClient(clientKey: string): void;
  close(): Promise<void>;
}

export interface BackendPoolOptions {
  connectTimeoutMs: number;
  /** Wraps the fetch of every request to a backend (the gateway adds its request id this way). */
  decorateFetch?: (fetch: FetchLike) => FetchLike;
  callTimeoutMs: number;
  circuit: { failureThreshold: number; openMs: number };
  /** Bounds on what calls may take; each is unbounded when left out. */
  limits?: Partial<CallLimits>;
  /**
   * Told when a backend announces during a call that its tools, resources or prompts changed, so that
   * the registry can pull them again. Such notifications concern the gateway, not the caller.
   */
  onListChanged?: (service: string) => void;
  /** Why a backend URL must not be connected to now, if so (see BackendSessionOptions.refuse). */
  refuse?: (url: string) => Promise<string | undefined>;
  /**
   * Told when a backend turned out to speak another revision than the one it was registered with (it
   * was replaced in place), so that the registry can record it. The pool's sessions go on in the new
   * revision at once; a backend's revision is asked again at most once per REVISION_RECHECK_MS.
   */
  onRevisionChanged?: (service: string, revision: string) => void;
  /**
   * Shared between the replicas, so that the revision is asked at most once per REVISION_RECHECK_MS by
   * all of them together (key `revision-check:<service>`): the one that asks records a change, which the
   * others then reload. Without it, each replica keeps to that limit alone.
   */
  claim?: Claim;
  /** Stdio backends: the commands this replica may run (none: it runs none), and how it restarts them. */
  stdio?: { commands: readonly string[]; backoff?: RestartBackoff };
  /**
   * Sessions of their own for the clients that have one at the gateway: at most `max` on this replica
   * (0: none, every client shares the backend's session), each closed after `idleMs` without use.
   */
  clientSessions?: { max: number; idleMs: number };
  log: Logger;
}

export interface CallLimits {
  /** Requests to one backend in flight at once (health checks aside: they never wait for a slot). */
  maxConcurrentCalls: number;
  /** Requests waiting for a slot of one backend; more are refused at once. */
  maxWaitingCalls: number;
  /**
   * Requests in flight over all backends together, refused at once beyond it. Kept below the sockets
   * Bun's fetch holds for the whole process, so health checks and housekeeping always find one.
   */
  maxGatewayCalls: number;
  /** Longest a request may take however often the backend reports progress. */
  maxCallDurationMs: number;
  /** Largest answer read from a backend: a JSON body, or one event of its stream. */
  maxAnswerBytes: number;
}

interface Entry {
  target: BackendTarget;
  breaker: CircuitBreaker;
  slots: CallLimiter;
  refused: number;
  connection?: Connection;
  /** The process of a stdio backend, run by this replica while the backend is in the pool. */
  process?: StdioProcess;
  status: BackendStatus;
  lastError?: string;
  lastChangeAt?: string;
  lastCheckAt?: string;
}

export function createBackendPool({
  connectTimeoutMs,
  callTimeoutMs,
  circuit,
  log,
  onListChanged,
  refuse,
  onRevisionChanged,
  claim = async () => true,
  stdio = { commands: [] },
  limits = {},
  decorateFetch = (f) => f,
  clientSessions = { max: 0, idleMs: 0 },
}: BackendPoolOptions): BackendPool {
  const {
    maxConcurrentCalls = Number.POSITIVE_INFINITY,
    maxWaitingCalls = Number.POSITIVE_INFINITY,
    maxGatewayCalls = Number.POSITIVE_INFINITY,
    maxCallDurationMs,
    maxAnswerBytes,
  } = limits;
  const entries = new Map<string, Entry>();
  const gatewaySlots = createCallLimiter({ maxActive: maxGatewayCalls, maxWaiting: 0 });
  // A tool's own timeout may exceed the gateway's, up to the longest a call may last.
  const fetch = decorateFetch(
    createIdleTolerantFetch(Math.max(connectTimeoutMs, callTimeoutMs, maxCallDurationMs ?? callTimeoutMs)),
  );
  // Event streams stay quiet as long as the backend has nothing to say: no idle timeout of our own.
  const streamFetch = decorateFetch((url, init) =>
    globalThis.fetch(url, { ...init, timeout: false, redirect: "manual" }),
  );
  /**
   * Every session not closed yet, retired ones included, so that close() leaves none behind. A session
   * that failed is retired: new calls get a fresh one (which initialises again, in case the backend was
   * replaced), and it closes once its own calls are over, so one failed call does not cut the others short.
   */
  const connections = new Set<Connection>();
  /** Processes of stdio backends being killed, so that close() waits until none is left. */
  const stopping = new Set<Promise<void>>();

  const setStatus = (entry: Entry, status: BackendStatus, error?: string) => {
    if (entry.status !== status) {
      entry.lastChangeAt = new Date().toISOString();
      log.info(`backend ${status}`, { service: entry.target.name, ...(error ? { error } : {}) });
    }
    entry.status = status;
    entry.lastError = error;
  };

  const logCircuit = (entry: Entry, state: CircuitState) => {
    const fields = { service: entry.target.name, consecutiveFailures: entry.breaker.consecutiveFailures };
    if (state === "open")
      log.warn("circuit open: calls are refused until the cool-down is over", { ...fields, error: entry.lastError });
    else log.info(`circuit ${state}`, fields);
  };

  const newEntry = (target: BackendTarget): Entry => {
    const entry: Entry = {
      target,
      status: "unknown",
      slots: createCallLimiter({ maxActive: maxConcurrentCalls, maxWaiting: maxWaitingCalls }),
      refused: 0,
      breaker: createCircuitBreaker({ ...circuit, onChange: (state) => logCircuit(entry, state) }),
    };
    if ("stdio" in target) entry.process = runProcess(target.name, target.stdio);
    return entry;
  };

  const runProcess = (name: string, launch: StdioLaunch): StdioProcess => {
    // Checked here too: the registration may have been made by a replica that allows more commands.
    if (!stdio.commands.includes(launch.command)) return refusedProcess(launch.command);
    return startStdioProcess({
      name,
      launch,
      maxLineBytes: maxAnswerBytes ?? Number.POSITIVE_INFINITY,
      backoff: stdio.backoff ?? DEFAULT_RESTART_BACKOFF,
      log,
    });
  };

  const stopProcess = (entry: Entry) => {
    if (!entry.process) return;
    const stopped = entry.process.stop().finally(() => stopping.delete(stopped));
    stopping.add(stopped);
  };

  /** When each service's revision was last asked again, kept while the service is registered (across its target's changes). */
  const revisionChecks = new Map<string, number>();
  const revisionCheckOf = (service: string): RevisionCheck => ({
    // This replica's own limit comes first: it spares the store a round trip on every refused request.
    async due() {
      const now = performance.now();
      const last = revisionChecks.get(service);
      if (last !== undefined && now - last < REVISION_RECHECK_MS) return false;
      revisionChecks.set(service, now);
      return claim(`revision-check:${service}`, REVISION_RECHECK_MS);
    },
    changed(revision) {
      log.warn("backend speaks another MCP revision than recorded; going on in it", { service, revision });
      onRevisionChanged?.(service, revision);
    },
  });
  const httpSession = (target: HttpTarget, onopened?: BackendSessionOptions["onopened"]) =>
    createBackendSession({
      target,
      fetch,
      connectTimeoutMs,
      refuse,
      onopened,
      revisionCheck: revisionCheckOf(target.name),
    });

  const sessionFor = (entry: Entry): BackendSession => {
    const { target } = entry;
    if (!("stdio" in target)) return httpSession(target);
    return createStdioSession({
      process: entry.process ?? refusedProcess(target.stdio.command),
      connectTimeoutMs,
      maxAnswerBytes: maxAnswerBytes ?? Number.POSITIVE_INFINITY,
      onnotification: (notification) => {
        if (LIST_CHANGED.has(notification.method)) onListChanged?.(target.name);
      },
    });
  };

  const closeConnection = (connection: Connection) => {
    connections.delete(connection);
    connection.session.close();
    connection.onclose?.();
  };

  const ownSessions = createClientBackendSessions({
    ...clientSessions,
    openSession: httpSession,
    openStream: (session, handlers) =>
      openBackendEventStream({
        ...handlers,
        fetch: streamFetch,
        url: session.url,
        headers: session.headers,
        timeoutMs: connectTimeoutMs,
        maxEventBytes: maxAnswerBytes ?? Number.POSITIVE_INFINITY,
      }),
    close: closeConnection,
    takesNotification(service, notification) {
      if (!LIST_CHANGED.has(notification.method)) return false;
      onListChanged?.(service);
      return true;
    },
    log,
  });

  const retire = (entry: Entry, connection: Connection) => {
    if (entry.connection === connection) entry.connection = undefined;
    connection.retired = true;
    if (connection.inFlight === 0) closeConnection(connection);
  };

  const openConnection = (entry: Entry): Connection => {
    const connection: Connection = {
      session: sessionFor(entry),
      inFlight: 0,
      retired: false,
    };
    connections.add(connection);
    return connection;
  };

  /** The client's own connection with an HTTP backend when it has a link and one can be had, else the shared one. */
  const connectionFor = (entry: Entry, client: ClientLink | undefined): Connection => {
    const { target } = entry;
    const own = client && !("stdio" in target) ? ownSessions.use(target, client) : undefined;
    if (own) {
      connections.add(own);
      return own;
    }
    entry.connection ??= openConnection(entry);
    return entry.connection;
  };

  /** Runs `use` on the backend's session (the client's own, if any); a transport failure retires that session. */
  const withSession = async <T>(
    entry: Entry,
    use: (session: BackendSession) => Promise<T>,
    signal?: AbortSignal,
    client?: ClientLink,
  ): Promise<T> => {
    const connection = connectionFor(entry, client);
    connection.inFlight++;
    try {
      return await use(connection.session);
    } catch (error) {
      if (classify(error, signal) === "failed") retire(entry, connection);
      throw error;
    } finally {
      connection.inFlight--;
      if (connection.retired && connection.inFlight === 0) closeConnection(connection);
    }
  };

  /** Books the outcome of one attempt on the breaker and the state; failures become BackendUnavailableError. */
  const settle = async <T>(entry: Entry, attempt: Attempt, work: Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      const result = await work;
      attempt.succeeded();
      setStatus(entry, "up");
      return result;
    } catch (error) {
      const outcome = classify(error, signal);
      if (outcome === "abandoned") {
        attempt.abandoned();
        throw callerError(entry, error);
      }
      if (outcome === "answered") {
        // The backend answered (with a protocol error, or too much): it is up, and the caller gets the error.
        attempt.succeeded();
        setStatus(entry, "up");
        throw callerError(entry, error);
      }
      // Shown to callers, /health and /services, and logged: a URL in it must not carry its query secrets.
      const reason = redactUrlsIn(describeFailure(error));
      setStatus(entry, "down", reason);
      attempt.failed();
      throw new BackendUnavailableError(entry.target.name, reason);
    }
  };

  /**
   * A slot of the backend and one of the gateway's, or a CallLimitError at once when the backend's line
   * is full or the gateway has none left; also when `signal` aborts in line because the call's time ran out.
   */
  const takeSlots = async (entry: Entry, signal: AbortSignal, caller?: AbortSignal): Promise<Release> => {
    const busy = (message: string) => {
      entry.refused++;
      return new CallLimitError(entry.target.name, "busy", `Service "${entry.target.name}" is busy: ${message}`);
    };
    let release: Release;
    try {
      release = await entry.slots.acquire(signal);
    } catch (error) {
      if (caller?.aborted) throw error;
      if (error instanceof LimitReached) throw busy(`${error.message}; try again shortly`);
      throw busy(`the call's time ran out while it waited for one of its ${maxConcurrentCalls} call slots`);
    }
    try {
      return combine(release, await gatewaySlots.acquire());
    } catch (error) {
      release();
      if (!(error instanceof LimitReached)) throw error;
      throw busy(`the gateway has all ${maxGatewayCalls} of its slots for calls to services in use; try again shortly`);
    }
  };

  const viewOf = (entry: Entry): BackendState => ({
    name: entry.target.name,
    url: "stdio" in entry.target ? `stdio:${entry.target.stdio.command}` : redactUrl(entry.target.url),
    status: entry.status,
    ...(entry.lastError ? { lastError: entry.lastError } : {}),
    ...(entry.lastChangeAt ? { lastChangeAt: entry.lastChangeAt } : {}),
    circuit: entry.breaker.state,
    consecutiveFailures: entry.breaker.consecutiveFailures,
    ...(entry.lastCheckAt ? { lastCheckAt: entry.lastCheckAt } : {}),
    calls: { inFlight: entry.slots.active, waiting: entry.slots.waiting, refused: entry.refused },
  });

  return {
    sync(targets) {
      const wanted = new Map(targets.map((t) => [t.name, t]));
      for (const [name, entry] of entries) {
        const next = wanted.get(name);
        if (next && sameTarget(next, entry.target)) continue;
        if (!next) revisionChecks.delete(name);
        if (entry.connection) retire(entry, entry.connection);
        ownSessions.forget(name);
        stopProcess(entry);
        entries.delete(name);
      }
      for (const target of targets) {
        if (!entries.has(target.name)) entries.set(target.name, newEntry(target));
      }
    },

    revision: (service) => entries.get(service)?.connection?.session.revision?.(),

    async request(service, method, params, options = {}) {
      const entry = entries.get(service);
      if (!entry) throw new BackendUnavailableError(service, "it is not registered");
      const attempt = entry.breaker.tryAcquire();
      if (!attempt) throw new BackendUnavailableError(service, openCircuitReason(entry));
      const onnotification = (notification: Notification) => {
        if (LIST_CHANGED.has(notification.method)) onListChanged?.(service);
        else options.onnotification?.(notification);
      };
      // The call's time runs from here: waiting for a slot or for the session's handshake counts.
      const timeoutMs = options.timeoutMs ?? callTimeoutMs;
      const deadline = createCallDeadline({ timeoutMs, maxDurationMs: maxCallDurationMs });
      const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
      try {
        let release: Release;
        try {
          release = await takeSlots(entry, signal, options.signal);
        } catch (error) {
          attempt.abandoned();
          throw error;
        }
        const call = withSession(
          entry,
          (session) =>
            session.request(method, params, {
              ...options,
              signal,
              deadline,
              maxAnswerBytes: options.maxAnswerBytes ?? maxAnswerBytes,
              onnotification,
              timeoutMs,
            }),
          options.signal,
          options.client,
        );
        return await settle(entry, attempt, call, options.signal).finally(release);
      } finally {
        deadline.dispose();
      }
    },

    async check(service, timeoutMs) {
      const entry = entries.get(service);
      const attempt = entry?.breaker.tryAcquire();
      if (!entry || !attempt) return;
      entry.lastCheckAt = new Date().toISOString();
      const ping = () => withSession(entry, async (session) => void (await session.request("ping", {}, { timeoutMs })));
      // The outcome is booked on the state; a failed check has no caller to tell.
      await settle(entry, attempt, probeHealth(entry.target, timeoutMs, ping)).catch(() => {});
    },

    endClient: (clientKey) => ownSessions.end(clientKey),

    states: () => [...entries.values()].map(viewOf),
    state: (service) => {
      const entry = entries.get(service);
      return entry ? viewOf(entry) : undefined;
    },

    async close() {
      for (const connection of connections) closeConnection(connection);
      for (const entry of entries.values()) stopProcess(entry);
      entries.clear();
      await Promise.all(stopping);
    },
  };
}

/** How often at most a backend's revision is asked again, so that a backend flapping between revisions cannot cause a storm of questions. */
const REVISION_RECHECK_MS = 30_000;

const LIST_CHANGED = new Set([
  "notifications/tools/list_changed",
  "notifications/resources/list_changed",
  "notifications/prompts/list_changed",
]);

function sameTarget(a: BackendTarget, b: BackendTarget): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The process of a command this replica may not run: every request fails, saying why. */
function refusedProcess(command: string): StdioProcess {
  return {
    current() {
      throw new TransportFailure(`this gateway replica does not run "${command}": it is not in STDIO_COMMANDS`);
    },
    stop: async () => {},
  };
}

/**
 * What a failed attempt says about the backend: it `answered` with a protocol error or more than the
 * gateway reads (so it is up), the caller or the gateway itself `abandoned` the attempt (so it says
 * nothing: a request the gateway cannot even encode must not open a healthy backend's circuit), or the
 * backend `failed` to answer.
 */
function classify(error: unknown, signal: AbortSignal | undefined): "answered" | "abandoned" | "failed" {
  if (signal?.aborted || error instanceof UnsendableRequest) return "abandoned";
  return error instanceof ProtocolError || error instanceof AnswerTooLarge ? "answered" : "failed";
}

/** The error the caller gets for one that says nothing against the backend, with the service named. */
function callerError(entry: Entry, error: unknown): unknown {
  const service = entry.target.name;
  if (error instanceof AnswerTooLarge)
    return new CallLimitError(
      service,
      "too_large",
      `Service "${service}" answered with more than ${formatBytes(error.maxBytes)}, the most the gateway passes on (TOOL_RESULT_MAX_BYTES); ask it for less at a time`,
    );
  if (error instanceof UnsendableRequest)
    return new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Cannot send the request to "${service}": ${error.message}`,
    );
  return error;
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** One release for two slots. */
function combine(first: Release, second: Release): Release {
  return () => {
    second();
    first();
  };
}

function openCircuitReason(entry: Entry): string {
  const { consecutiveFailures, retryAt } = entry.breaker;
  const last = entry.lastError ? ` (last error: ${entry.lastError})` : "";
  const next =
    retryAt === undefined
      ? "a trial request is checking whether it is back"
      : `the gateway tries it again in ${Math.max(0, Math.ceil((retryAt - Date.now()) / 1000))} s`;
  return `it failed ${consecutiveFailures} times in a row${last}, so calls are not sent to it for now; ${next}`;
}
