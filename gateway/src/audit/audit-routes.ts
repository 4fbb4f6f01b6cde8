/**
 * `GET /audit`: the audit log, newest first, filtered and paged with an opaque cursor. The admin or the
 * viewer key may read it; it names callers, never their credentials.
 */
import { Hono } from "hono";
import type { z } from "zod";
import type { AdminAuth } from "../access/admin-auth.ts";
import { HttpError, toIssues } from "../http-error.ts";
import type { AuditLog } from "./audit-log.ts";
import type { AuditRow } from "./audit-schema.ts";
import { type auditEvent, auditQuery } from "./audit-schemas.ts";

export interface AuditRoutesDeps {
  audit: Pick<AuditLog, "list">;
  auth: AdminAuth;
}

export function createAuditRoutes({ audit, auth }: AuditRoutesDeps): Hono {
  const app = new Hono();
  app.get("/audit", auth.read(), async (c) => {
    const parsed = auditQuery.safeParse(c.req.query());
    if (!parsed.success) throw new HttpError("bad_request", "invalid query", toIssues(parsed.error));
    const { kind, identity, service, tool, since, until, limit, cursor } = parsed.data;
    const { rows, more } = await audit.list({
      kind,
      actor: identity,
      service,
      tool,
      since: since === undefined ? undefined : new Date(since),
      until: until === undefined ? undefined : new Date(until),
      beforeId: cursor === undefined ? undefined : decodeCursor(cursor),
      limit,
    });
    const last = rows.at(-1);
    return c.json({
      events: rows.map(eventView),
      ...(more && last ? { nextCursor: encodeCursor(last.id) } : {}),
    });
  });
  app.all("/audit", (c) => {
    c.header("Allow", "GET");
    throw new HttpError("method_not_allowed", `${c.req.method} is not allowed on /audit; use GET`);
  });
  return app;
}

function eventView(row: AuditRow): z.infer<typeof auditEvent> {
  const { id, at, before, after, ...rest } = row;
  const present = Object.entries(rest).filter(([, value]) => value !== null);
  return {
    id: String(id),
    at: at.toISOString(),
    ...Object.fromEntries(present),
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
  } as z.infer<typeof auditEvent>;
}

// The cursor is opaque to clients so that its contents can change without breaking them.
function encodeCursor(id: number): string {
  return Buffer.from(`v1:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): number {
  const match = /^v1:(\d{1,18})$/.exec(Buffer.from(cursor, "base64url").toString());
  const id = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(id)) {
    throw new HttpError("bad_request", "invalid query", [
      { path: "cursor", message: "not a cursor this API returned" },
    ]);
  }
  return id;
}
