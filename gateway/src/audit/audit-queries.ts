/**
 * Audit log reads and writes. Pages run newest first by id, which never changes once a row is written,
 * so a cursor (the last id seen) resumes exactly where the previous page ended even while rows arrive.
 */
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { Database } from "../registry/database.ts";
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

export async function insertAuditEvents(db: Database, rows: NewAuditRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(auditEvents).values(rows);
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
