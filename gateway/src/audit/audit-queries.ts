/**
 * Audit log reads and writes. Pages run newest first by id, which never changes once a row is written,
 * so a cursor (the last id seen) resumes exactly where the previous page ended even while rows arrive.
 */
import { and, desc, eq, gte, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Database } from "../registry/database.ts";
import { copyAuditEvents, pgliteOf } from "./audit-copy.ts";
import { type AuditKind, type AuditRow, auditEvents, type NewAuditRow } from "./audit-schema.ts";

export interface AuditFilter {
  kind?: AuditKind;
  actor?: string;
  service?: string;
  tool?: string;
  since?: Date;
  until?: Date;
  /** Only rows older than this id (the cursor of the previous page). */
  beforeId?: number;
  limit: number;
}

/**
 * Inserts `rows` in their order, as one JSON parameter unpacked by the database: Drizzle's multi-row
 * VALUES builder (one audit row per tool call, a dozen typed and numbered parameters a row) was the
 * largest single cost in the gateway's CPU profile under load. The parameter is read as `json`, not
 * `jsonb`: the text is unpacked once, without first being converted to jsonb's binary form, which on
 * embedded PGlite took about 40% less CPU per row. The statement starts with the insert, which is how the
 * hot-path tests tell the audit writes from other queries. On PGlite the rows go in by COPY instead
 * (audit-copy.ts), which Drizzle does not see.
 */
export async function insertAuditEvents(db: Database, rows: NewAuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  const pglite = pgliteOf(db);
  if (pglite) return copyAuditEvents(pglite, rows);
  const records = JSON.stringify(rows.map(recordOf));
  await db.execute(sql`insert into ${auditEvents} (at, kind, actor, action, target, service, tool, outcome, duration_ms, request_id, before, after)
    select at, kind, actor, action, target, service, tool, outcome, duration_ms, request_id, before, after
    from rows from (json_to_recordset(${records}::json) as (at timestamptz, kind text, actor text, action text,
      target text, service text, tool text, outcome text, duration_ms integer, request_id text, before jsonb, after jsonb))
      with ordinality as r(at, kind, actor, action, target, service, tool, outcome, duration_ms, request_id, before, after, n)
    order by n`);
}

/** A row under the column names of the table; fields left out are null. */
function recordOf(row: NewAuditRow): Record<string, unknown> {
  return {
    at: row.at,
    kind: row.kind,
    actor: row.actor,
    action: row.action,
    target: row.target,
    service: row.service,
    tool: row.tool,
    outcome: row.outcome,
    duration_ms: row.durationMs,
    request_id: row.requestId,
    before: row.before,
    after: row.after,
  };
}

/** One page of rows matching `filter`, newest first; `more` says whether another page follows. */
export async function listAuditEvents(db: Database, filter: AuditFilter): Promise<{ rows: AuditRow[]; more: boolean }> {
  const conditions: SQL[] = [];
  if (filter.kind) conditions.push(eq(auditEvents.kind, filter.kind));
  if (filter.actor) conditions.push(eq(auditEvents.actor, filter.actor));
  if (filter.service) conditions.push(eq(auditEvents.service, filter.service));
  if (filter.tool) conditions.push(eq(auditEvents.tool, filter.tool));
  if (filter.since) conditions.push(gte(auditEvents.at, filter.since));
  if (filter.until) conditions.push(lte(auditEvents.at, filter.until));
  if (filter.beforeId !== undefined) conditions.push(lt(auditEvents.id, filter.beforeId));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}

/** Deletes the rows of events that happened before `cutoff`. */
export async function deleteAuditEventsBefore(db: Database, cutoff: Date): Promise<void> {
  await db.delete(auditEvents).where(lt(auditEvents.at, cutoff));
}
