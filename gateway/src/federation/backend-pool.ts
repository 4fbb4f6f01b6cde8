/**
 * One reused MCP session per backend, following the catalog: sessions of new services open lazily on
 * first use, sessions of deleted or moved services close. Every call and health check goes through the
 * backend's circuit breaker, so a dead backend is answered for at once instead of being tried by every
 * caller, and the pool keeps each backend's last known state for /health, /services and metrics.
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../logger.ts";
import { redactUrl, redactUrlsIn } from "../security/redact-url.ts";
import { type BackendSession, createBackendSession } from "./backend-session.ts";
import { type Attempt, type CircuitBreaker, type CircuitState, createCircuitBreaker } from "./circuit-breaker.ts";
import { probeHealth } from "./health-probe.ts";
import type { BackendRequest, Notification, Progress } from "./json-rpc-exchange.ts";
import { type BackendTarget, createIdleTolerantFetch } from "./mcp-connection.ts";
import { describeFailure } from "./transport-failure.ts";

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
  /** Progress the backend reports on the call; each one also restarts the call timeout. Must not throw. */
  onprogress?: (progress: Progress) => void;
  /** Every other notification the backend sends on the call's stream (logging, other progress tokens). Must not throw. */
  onnotification?: (notification: Notification) => void;
  /**
   * Answers what the backend asks the caller's client during the call (sampling, elicitation), with a
   * result or by throwing (an McpError keeps its code). Reaches only backends that keep sessions.
   */
  onrequest?: (request: BackendRequest, signal: AbortSignal) => Promise<Record<string, unknown>>;
}

export interface BackendPool {
  /** Makes the pool match the registry: opens nothing yet, closes sessions of targets that left or changed. */
  sync(targets: readonly BackendTarget[]): void;
  /**
   * Sends a JSON-RPC request to the backend and returns its result as sent. An error the backend answers
   * with is thrown as McpError; a backend that did not answer as BackendUnavailableError.
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
  close(): Promise<void>;
}

export interface BackendPoolOptions {
  connectTimeoutMs: number;
  /** Wraps the fetch of every request to a backend (the gateway adds its request id this way). */
  decorateFetch?: (fetch: FetchLike) => FetchLike;
  callTimeoutMs: number;
  circuit: { failureThreshold: number; openMs: number };
  /**
   * Told when a backend announces during a call that its tools, resources or prompts changed, so that
   * the registry can pull them again. Such notifications concern the gateway, not the caller.
   */
  onListChanged?: (service: string) => void;
  /** Why a backend URL must not be connected to now, if so (see BackendSessionOptions.refuse). */
  refuse?: (url: string) => Promise<string | undefined>;
  log: Logger;
}

/**
 * A session and the calls using it. A session that failed is retired: new calls get a fresh one (which
 * initialises again, in case the backend was replaced), and it closes once its own calls are over, so
 * one failed call does not cut the others short.
 */
interface Connection {
  session: BackendSession;
  inFlight: number;
  retired: boolean;
}

interface Entry {
  target: BackendTarget;
  breaker: CircuitBreaker;
  connection?: Connection;
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
  decorateFetch = (f) => f,
}: BackendPoolOptions): BackendPool {
  const entries = new Map<string, Entry>();
  const fetch = decorateFetch(createIdleTolerantFetch(Math.max(connectTimeoutMs, callTimeoutMs)));
  /** Every session not closed yet, retired ones included, so that close() leaves none behind. */
  const connections = new Set<Connection>();

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
      breaker: createCircuitBreaker({ ...circuit, onChange: (state) => logCircuit(entry, state) }),
    };
    return entry;
  };

  const closeConnection = (connection: Connection) => {
    connections.delete(connection);
    connection.session.close();
  };

  const retire = (entry: Entry, connection: Connection) => {
    if (entry.connection === connection) entry.connection = undefined;
    connection.retired = true;
    if (connection.inFlight === 0) closeConnection(connection);
  };

  const openConnection = (entry: Entry): Connection => {
    const connection: Connection = {
      session: createBackendSession({ target: entry.target, fetch, connectTimeoutMs, refuse }),
      inFlight: 0,
      retired: false,
    };
    connections.add(connection);
    return connection;
  };

  /** Runs `use` on the backend's session; a transport failure retires that session. */
  const withSession = async <T>(
    entry: Entry,
    use: (session: BackendSession) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> => {
    entry.connection ??= openConnection(entry);
    const connection = entry.connection;
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
        throw error;
      }
      if (outcome === "answered") {
        // The backend answered with a protocol error: it is up, and the caller gets its error.
        attempt.succeeded();
        setStatus(entry, "up");
        throw error;
      }
      // Shown to callers, /health and /services, and logged: a URL in it must not carry its query secrets.
      const reason = redactUrlsIn(describeFailure(error));
      setStatus(entry, "down", reason);
      attempt.failed();
      throw new BackendUnavailableError(entry.target.name, reason);
    }
  };

  const viewOf = (entry: Entry): BackendState => ({
    name: entry.target.name,
    url: redactUrl(entry.target.url),
    status: entry.status,
    ...(entry.lastError ? { lastError: entry.lastError } : {}),
    ...(entry.lastChangeAt ? { lastChangeAt: entry.lastChangeAt } : {}),
    circuit: entry.breaker.state,
    consecutiveFailures: entry.breaker.consecutiveFailures,
    ...(entry.lastCheckAt ? { lastCheckAt: entry.lastCheckAt } : {}),
  });

  return {
    sync(targets) {
      const wanted = new Map(targets.map((t) => [t.name, t]));
      for (const [name, entry] of entries) {
        const next = wanted.get(name);
        if (next && sameTarget(next, entry.target)) continue;
        if (entry.connection) retire(entry, entry.connection);
        entries.delete(name);
      }
      for (const target of targets) {
        if (!entries.has(target.name)) entries.set(target.name, newEntry(target));
      }
    },

    async request(service, method, params, options = {}) {
      const entry = entries.get(service);
      if (!entry) throw new BackendUnavailableError(service, "it is not registered");
      const attempt = entry.breaker.tryAcquire();
      if (!attempt) throw new BackendUnavailableError(service, openCircuitReason(entry));
      const onnotification = (notification: Notification) => {
        if (LIST_CHANGED.has(notification.method)) onListChanged?.(service);
        else options.onnotification?.(notification);
      };
      const call = withSession(
        entry,
        (session) => session.request(method, params, { ...options, onnotification, timeoutMs: callTimeoutMs }),
        options.signal,
      );
      return settle(entry, attempt, call, options.signal);
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

    states: () => [...entries.values()].map(viewOf),
    state: (service) => {
      const entry = entries.get(service);
      return entry ? viewOf(entry) : undefined;
    },

    async close() {
      for (const connection of connections) closeConnection(connection);
      entries.clear();
    },
  };
}

const LIST_CHANGED = new Set([
  "notifications/tools/list_changed",
  "notifications/resources/list_changed",
  "notifications/prompts/list_changed",
]);

function sameTarget(a: BackendTarget, b: BackendTarget): boolean {
  return a.url === b.url && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

/**
 * What a failed attempt says about the backend: it `answered` with a protocol error (so it is up), the
 * caller `abandoned` the attempt (so it says nothing), or the backend `failed` to answer.
 */
function classify(error: unknown, signal: AbortSignal | undefined): "answered" | "abandoned" | "failed" {
  if (signal?.aborted) return "abandoned";
  return error instanceof McpError ? "answered" : "failed";
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
