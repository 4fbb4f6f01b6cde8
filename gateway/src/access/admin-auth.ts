/**
 * The admin API's two roles: `admin` (API_KEY) may read and write, `viewer` (VIEWER_API_KEY, when set)
 * may only read. A viewer's write is refused with 403, an unknown key with 401. The caller's Identity
 * goes on the Hono context and into the request context, so the audit log knows who made a change.
 */
import { parseBearer, secretsEqual } from "@mcp-federation/mcp-http";
import type { Context, MiddlewareHandler } from "hono";
import { HttpError } from "../http-error.ts";
import { IDENTITY_VARIABLE, type Identity, STATIC_TOKEN_IDENTITY } from "../identity/identity.ts";
import type { RequestContext } from "../observability/request-context.ts";

export type AdminRole = "admin" | "viewer";

export interface AdminKeys {
  apiKey: string;
  viewerApiKey?: string;
}

/** Who the admin and the viewer key stand for, in audit rows and rate limits. */
const ROLE_IDENTITIES: Record<AdminRole, Identity> = {
  admin: { kind: "api-key", subject: "api-key:admin", name: "API_KEY", scopes: [], roles: ["admin"] },
  viewer: { kind: "api-key", subject: "api-key:viewer", name: "VIEWER_API_KEY", scopes: [], roles: ["viewer"] },
};

export interface AdminAuth {
  /** Routes that change something: admin only. */
  write: MiddlewareHandler;
  /** Routes that only read: admin or viewer, and holders of `bearerToken` when one is given. */
  read(bearerToken?: string): MiddlewareHandler;
  /** The role of the request's `X-API-Key`; undefined when it carries none or an unknown one. */
  role(c: Context): AdminRole | undefined;
}

export function createAdminAuth(keys: AdminKeys, context: Pick<RequestContext, "runAs">): AdminAuth {
  const as = (c: Context, identity: Identity, next: () => Promise<void>) => {
    c.set(IDENTITY_VARIABLE, identity);
    return context.runAs(identity, next);
  };
  return {
    write: async (c, next) => {
      const role = roleOf(keys, c.req.header("x-api-key"));
      if (role === "admin") return as(c, ROLE_IDENTITIES.admin, next);
      if (role === "viewer")
        throw new HttpError("forbidden", "the viewer API key may only read; this route needs the admin API key");
      throw unauthorized(c.req.header("x-api-key"));
    },
    read: (bearerToken) => async (c, next) => {
      const key = c.req.header("x-api-key");
      const role = roleOf(keys, key);
      if (role !== undefined) return as(c, ROLE_IDENTITIES[role], next);
      const bearer = bearerToken === undefined ? undefined : parseBearer(c.req.header("authorization"));
      if (bearer !== undefined && bearerToken !== undefined && secretsEqual(bearer, bearerToken))
        return as(c, STATIC_TOKEN_IDENTITY, next);
      throw unauthorized(key);
    },
    role: (c) => roleOf(keys, c.req.header("x-api-key")),
  };
}

function roleOf({ apiKey, viewerApiKey }: AdminKeys, key: string | undefined): AdminRole | undefined {
  if (key === undefined) return undefined;
  if (secretsEqual(key, apiKey)) return "admin";
  if (viewerApiKey !== undefined && secretsEqual(key, viewerApiKey)) return "viewer";
  return undefined;
}

function unauthorized(key: string | undefined): HttpError {
  return new HttpError("unauthorized", key === undefined ? "missing X-API-Key header" : "invalid API key");
}
