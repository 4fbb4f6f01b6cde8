/**
 * One reused SDK client per backend, following the catalog: clients of new services open lazily on
 * first use, clients of deleted or moved services close. Also keeps each backend's last known state.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../logger.ts";
import { connectBackend, type BackendTarget } from "./mcp-connection.ts";
import { RawResultSchema } from "./raw-results.ts";

export type BackendStatus = "unknown" | "up" | "down";

export interface BackendState {
  name: string;
  url: string;
  status: BackendStatus;
  lastError?: string;
  lastChangeAt?: string;
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
  signal?: AbortSignal;
  onprogress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

export interface BackendPool {
  /** Makes the pool match the registry: opens nothing yet, closes clients of targets that left or changed. */
  sync(targets: readonly BackendTarget[]): void;
  /** Sends a JSON-RPC request to the backend and returns its result as sent. */
  request(service: string, method: string, params: Record<string, unknown>, options?: CallOptions): Promise<Record<string, unknown>>;
  /** Records the outcome of an out-of-band check (health probe). */
  report(service: string, ok: boolean, error?: string): void;
  states(): BackendState[];
  state(service: string): BackendState | undefined;
  close(): Promise<void>;
}

export interface BackendPoolOptions {
  connectTimeoutMs: number;
  callTimeoutMs: number;
  log: Logger;
}

interface Entry {
  target: BackendTarget;
  client?: Promise<Client>;
  state: BackendState;
}

/** Codes the SDK uses for its own transport failures, as opposed to errors the backend answered with. */
const LOCAL_FAILURE_CODES = new Set<number>([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]);

export function createBackendPool({ connectTimeoutMs, callTimeoutMs, log }: BackendPoolOptions): BackendPool {
  const entries = new Map<string, Entry>();

  const setStatus = (entry: Entry, status: BackendStatus, error?: string) => {
    if (entry.state.status !== status) {
      entry.state.lastChangeAt = new Date().toISOString();
      log.info(`backend ${status}`, { service: entry.target.name, ...(error ? { error } : {}) });
    }
    entry.state.status = status;
    entry.state.lastError = error;
  };

  const drop = (entry: Entry) => {
    const client = entry.client;
    entry.client = undefined;
    void client?.then((c) => c.close()).catch(() => {});
  };

  const clientFor = (entry: Entry): Promise<Client> => {
    if (!entry.client) {
      entry.client = connectBackend(entry.target, connectTimeoutMs);
      // A failed connect must not be cached, or the backend could never come back.
      entry.client.catch(() => {
        entry.client = undefined;
      });
    }
    return entry.client;
  };

  return {
    sync(targets) {
      const wanted = new Map(targets.map((t) => [t.name, t]));
      for (const [name, entry] of entries) {
        const next = wanted.get(name);
        if (next && sameTarget(next, entry.target)) continue;
        drop(entry);
        entries.delete(name);
      }
      for (const target of targets) {
        if (!entries.has(target.name)) {
          entries.set(target.name, { target, state: { name: target.name, url: target.url, status: "unknown" } });
        }
      }
    },

    async request(service, method, params, options = {}) {
      const entry = entries.get(service);
      if (!entry) throw new BackendUnavailableError(service, "it is not registered");
      try {
        const client = await clientFor(entry);
        const result = await client.request({ method, params } as never, RawResultSchema, {
          signal: options.signal,
          onprogress: options.onprogress,
          timeout: callTimeoutMs,
          resetTimeoutOnProgress: true,
        });
        setStatus(entry, "up");
        return result;
      } catch (error) {
        if (error instanceof McpError && !LOCAL_FAILURE_CODES.has(error.code)) {
          // The backend answered with a protocol error: it is up, and the caller gets its error.
          setStatus(entry, "up");
          throw error;
        }
        if (options.signal?.aborted) throw error;
        const reason = describeFailure(error, callTimeoutMs);
        setStatus(entry, "down", reason);
        drop(entry);
        throw new BackendUnavailableError(service, reason);
      }
    },

    report(service, ok, error) {
      const entry = entries.get(service);
      if (entry) setStatus(entry, ok ? "up" : "down", ok ? undefined : error);
    },

    states: () => [...entries.values()].map((e) => ({ ...e.state })),
    state: (service) => {
      const entry = entries.get(service);
      return entry ? { ...entry.state } : undefined;
    },

    async close() {
      for (const entry of entries.values()) drop(entry);
      entries.clear();
    },
  };
}

function sameTarget(a: BackendTarget, b: BackendTarget): boolean {
  return a.url === b.url && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

/** A short reason a model or operator can act on, without stack traces. */
export function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return `no answer within ${timeoutMs} ms`;
  const code = (error as { code?: unknown })?.code;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (error instanceof Error) return error.message.replace(/\s+/g, " ").slice(0, 300);
  return String(error);
}
