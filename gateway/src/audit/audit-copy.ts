/**
 * Audit rows into embedded PGlite by `COPY ... FROM '/dev/blob'`: PGlite reads the batch as one CSV
 * blob handed over in memory, which costs it about half the CPU per row of unpacking the same batch
 * from a JSON parameter (PGlite's audit inserts were 8% of the gateway's CPU under load). Postgres
 * keeps the JSON insert: postgres.js would need a COPY stream, and the database's work is not ours there.
 */
import { PGlite } from "@electric-sql/pglite";
import type { Database } from "../registry/database.ts";
import type { NewAuditRow } from "./audit-schema.ts";

const COPY_AUDIT_EVENTS = `copy audit_events (at, kind, actor, action, target, service, tool, outcome, duration_ms, request_id, before, after)
  from '/dev/blob' with (format csv)`;

/** The PGlite client under `db`, when the registry lives in PGlite. */
export function pgliteOf(db: Database): PGlite | undefined {
  const client = (db as { $client?: unknown }).$client;
  return client instanceof PGlite ? client : undefined;
}

/** Appends `rows` in their order: COPY assigns the identity column as the lines come. */
export async function copyAuditEvents(client: PGlite, rows: readonly NewAuditRow[]): Promise<void> {
  let csv = "";
  for (const row of rows) {
    csv += `${field(row.at.toISOString())},${field(row.kind)},${field(row.actor)},${field(row.action)},${field(row.target)},${field(row.service)},${field(row.tool)},${field(row.outcome)},${field(row.durationMs)},${field(row.requestId)},${json(row.before)},${json(row.after)}\n`;
  }
  await client.query(COPY_AUDIT_EVENTS, [], { blob: new Blob([csv]) });
}

/** A CSV field: null unquoted and empty, any value quoted, so that an empty string stays one. */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

function json(value: Record<string, unknown> | null | undefined): string {
  return value === null || value === undefined ? "" : field(JSON.stringify(value));
}
