import { z } from "zod";

const name = z.string().min(1).max(256);
const instant = z.iso.datetime({ offset: true }).describe("ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z");

/** The query of `GET /audit`. Unknown parameters are refused, so a misspelt filter cannot silently match everything. */
export const auditQuery = z.strictObject({
  kind: z.enum(["admin", "tool_call"]).optional(),
  identity: name.optional().describe("Identity subject of the caller, e.g. static-token or api-key:admin."),
  service: name.optional(),
  tool: name.optional().describe("The backend's own name of the tool."),
  since: instant.optional().describe("Events at or after this time."),
  until: instant.optional().describe("Events at or before this time."),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(64).optional().describe("`nextCursor` of the previous page."),
});

export const auditEvent = z.object({
  id: z.string(),
  at: z.string().meta({ format: "date-time" }),
  kind: z.enum(["admin", "tool_call"]),
  actor: z.string().describe("Identity subject of the caller; system for changes the gateway made itself."),
  action: z.string().describe("service.register, service.update, service.delete, tools/call, ..."),
  target: z.string().optional(),
  service: z.string().optional(),
  tool: z.string().optional(),
  outcome: z.string().optional().describe("Of a tool call: ok, tool_error, unavailable, error, rate_limited."),
  durationMs: z.number().int().optional(),
  requestId: z.string().optional(),
  before: z.record(z.string(), z.unknown()).optional(),
  after: z.record(z.string(), z.unknown()).optional(),
});

export const auditPage = z.object({
  events: z.array(auditEvent),
  nextCursor: z.string().optional().describe("Pass as `cursor` for the next (older) page; absent on the last page."),
});
