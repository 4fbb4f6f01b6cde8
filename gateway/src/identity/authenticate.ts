/**
 * Turns the credential of an MCP request into the caller's Identity and makes it known downstream: on
 * the Hono context under IDENTITY_VARIABLE and in the request context, where tool calls (rate limits,
 * audit rows) read it. Only the static bearer token is known here; the auth module replaces
 * `staticTokenAuthenticator` with one that also knows OAuth tokens and API keys.
 */
import { parseBearer, secretsEqual } from "@mcp-federation/mcp-http";
import type { MiddlewareHandler } from "hono";
import type { RequestContext } from "../observability/request-context.ts";
import { IDENTITY_VARIABLE, type Identity, STATIC_TOKEN_IDENTITY } from "./identity.ts";

declare module "hono" {
  interface ContextVariableMap {
    [IDENTITY_VARIABLE]: Identity;
  }
}

/** Who presented `request`'s credential, or undefined when it is missing or not valid. */
export type Authenticate = (request: Request) => Identity | undefined | Promise<Identity | undefined>;

export function staticTokenAuthenticator(token: string): Authenticate {
  return (request) => {
    const presented = parseBearer(request.headers.get("authorization") ?? undefined);
    return presented !== undefined && secretsEqual(presented, token) ? STATIC_TOKEN_IDENTITY : undefined;
  };
}

/**
 * Requires a credential `authenticate` accepts. The failure is a JSON-RPC error body, since the callers
 * are MCP clients, with the `WWW-Authenticate` challenge RFC 6750 asks for.
 */
export function identityAuth(authenticate: Authenticate, context: RequestContext): MiddlewareHandler {
  return async (c, next) => {
    const identity = await authenticate(c.req.raw);
    if (identity) {
      c.set(IDENTITY_VARIABLE, identity);
      context.setIdentity(identity);
      return next();
    }
    const reason = c.req.header("authorization") === undefined ? "missing bearer token" : "invalid bearer token";
    return c.json({ jsonrpc: "2.0", error: { code: -32001, message: `Unauthorized: ${reason}` }, id: null }, 401, {
      "WWW-Authenticate": `Bearer realm="mcp", error="invalid_token", error_description="${reason}"`,
    });
  };
}

/** The configured admin API key (API_KEY), as the admin routes' audit rows name it. */
export const ADMIN_API_KEY_IDENTITY: Identity = {
  kind: "api-key",
  subject: "api-key:admin",
  name: "admin",
  scopes: [],
  roles: [],
};
