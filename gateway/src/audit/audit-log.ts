/**
 * Records audit events off the hot path: `record` only appends to a bounded in-memory buffer, and a
 * writer inserts the buffer in batches when it holds a batch, every flush interval, and on close. When
 * the database falls behind and the buffer is full, new events are dropped and counted rather than
 * held, so an audit backlog can never exhaust the gateway's memory. Rows older than the retention are
 * deleted periodically.
 */
import { Counter, type Registry } from "prom-client";
import type { Logger } from "../logger.ts";
import type { RequestContext } from "../observability/request-context.ts";
import type { Database } from "../registry/database.ts";
import { withinTime } from "../within-time.ts";
import { type AuditFilter, deleteAuditEventsBefore, insertAuditEvents, listAuditEvents } from "./audit-queries.ts";
import type { AuditKind, AuditRow, NewAuditRow } from "./audit-schema.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

export interface AuditSettings {
  /** Events written in one insert; reaching it also starts a write. */
  batchSize: number;
  /** Longest an event waits in the buffer before it is written. */
  flushIntervalMs: number;
  /** Most events held while writes are slow or failing; more are dropped. */
  bufferSize: number;
  /** Events older than this many days are deleted; 0 keeps them forever. */
  retentionDays: number;
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = {
  batchSize: 100,
  flushIntervalMs: 1000,
  bufferSize: 10_000,
  retentionDays: 90,
};

/** What a caller says about an event; who and which request are taken from the request being served. */
export interface AuditEvent {
  kind: AuditKind;
  action: string;
  /** Identity subject; by default the caller of the current request, or "system" outside of one. */
  actor?: string;
  target?: string;
  service?: string;
  tool?: string;
  outcome?: string;
  durationMs?: number;
  /** Summaries of the changed object; names and counts, never secrets. */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

export interface AuditLog {
  /** Queues an event for writing; never blocks and never throws. */
  record(event: AuditEvent): void;
  /** Writes everything queued so far. */
  flush(): Promise<void>;
  /** A page of the log; this replica's queued events are written first, so its own changes show at once. */
  list(filter: AuditFilter): Promise<{ rows: AuditRow[]; more: boolean }>;
  /** Stops the timers and writes what is queued. */
  close(): Promise<void>;
}

export interface AuditLogDeps {
  db: Database;
  settings: AuditSettings;
  requestContext: RequestContext;
  log: Logger;
  metrics: Registry;
  /** How often old rows are deleted; an hour unless a test needs it sooner. */
  pruneIntervalMs?: number;
  /** Longest `close` waits for the last writes (and a running prune) before giving them up. */
  closeGraceMs?: number;
}

const DEFAULT_CLOSE_GRACE_MS = 5_000;

export function createAuditLog({
  db,
  settings,
  requestContext,
  log,
  metrics,
  pruneIntervalMs = DEFAULT_PRUNE_INTERVAL_MS,
  closeGraceMs = DEFAULT_CLOSE_GRACE_MS,
}: AuditLogDeps): AuditLog {
  const registers = [metrics];
  const dropped = new Counter({
    name: "mcp_gateway_audit_events_dropped_total",
    help: "Audit events dropped, by reason: buffer_full (writes fell behind) or write_failed (the database refused a batch).",
    labelNames: ["reason"] as const,
    registers,
  });
  const written = new Counter({
    name: "mcp_gateway_audit_events_written_total",
    help: "Audit events written to the database.",
    registers,
  });
  const buffer: NewAuditRow[] = [];
  let writing: Promise<void> = Promise.resolve();
  let warnedFull = false;

  const writeBuffered = async () => {
    while (buffer.length > 0) {
      const batch = buffer.splice(0, settings.batchSize);
      try {
        await insertAuditEvents(db, batch);
        written.inc(batch.length);
        warnedFull = false;
      } catch (error) {
        dropped.inc({ reason: "write_failed" }, batch.length);
        log.error("could not write audit events; dropped them", { events: batch.length, error });
      }
    }
  };
  // One write at a time, so batches reach the database in the order they were recorded.
  const flush = () => {
    writing = writing.then(writeBuffered);
    return writing;
  };

  let pruning: Promise<void> = Promise.resolve();
  const prune = () => {
    if (settings.retentionDays <= 0) return;
    const cutoff = new Date(Date.now() - settings.retentionDays * DAY_MS);
    pruning = deleteAuditEventsBefore(db, cutoff).catch((error) =>
      log.warn("could not delete old audit events; will try again", { error }),
    );
  };

  const flushTimer = setInterval(() => void flush(), settings.flushIntervalMs);
  const pruneTimer = setInterval(prune, pruneIntervalMs);
  flushTimer.unref();
  pruneTimer.unref();
  prune();

  return {
    record(event) {
      if (buffer.length >= settings.bufferSize) {
        dropped.inc({ reason: "buffer_full" });
        if (!warnedFull) log.warn("audit buffer full; dropping audit events until writes catch up");
        warnedFull = true;
        return;
      }
      buffer.push({
        at: new Date(),
        ...event,
        actor: event.actor ?? requestContext.identity()?.subject ?? "system",
        requestId: requestContext.requestId(),
        durationMs: event.durationMs === undefined ? undefined : Math.round(event.durationMs),
      });
      if (buffer.length >= settings.batchSize) void flush();
    },
    flush,
    async list(filter) {
      await flush();
      return listAuditEvents(db, filter);
    },
    async close() {
      clearInterval(flushTimer);
      clearInterval(pruneTimer);
      // A database that hangs without closing its connections never answers: shutting down must not wait on it.
      const waiting = buffer.length;
      // Neither rejects (failed writes and prunes are logged where they fail): only the wait can.
      const gaveUp = await withinTime(Promise.all([flush(), pruning]), closeGraceMs).then(
        () => false,
        () => true,
      );
      if (gaveUp)
        log.error("the database did not take the last audit events in time; closing without them", { events: waiting });
    },
  };
}
