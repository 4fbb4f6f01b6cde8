import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export type AuditKind = "admin" | "tool_call";

/**
 * One row per admin change and per tool call. Rows hold names, outcomes and summaries only: never a
 * tool's arguments or result, an API key, a token or a backend's headers. The id orders the rows for
 * pagination; `at` is when the event happened, for the time filters and retention.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    kind: text("kind").$type<AuditKind>().notNull(),
    /** Identity subject of the caller, or "system" for changes the gateway made on its own. */
    actor: text("actor").notNull(),
    /** e.g. service.register, service.update, service.delete, tools/call */
    action: text("action").notNull(),
    /** The changed object of an admin change (a service's name, a key's name). */
    target: text("target"),
    service: text("service"),
    tool: text("tool"),
    outcome: text("outcome"),
    durationMs: integer("duration_ms"),
    requestId: text("request_id"),
    before: jsonb("before").$type<Record<string, unknown>>(),
    after: jsonb("after").$type<Record<string, unknown>>(),
  },
  (table) => [index("audit_events_at_idx").on(table.at)],
);

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = typeof auditEvents.$inferInsert;
