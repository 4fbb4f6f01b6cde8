/**
 * Authentication of the MCP endpoints: turns the request's credential into an Identity, stores it on
 * the Hono context (IDENTITY_VARIABLE) and in the request context, or answers 401. Until the gateway
 * knows other credentials, the one it accepts is the static bearer token.
 */
import { parseBearer, secretsEqual } from "@mcp-federation/mcp-http";
import type { MiddlewareHandler } from "hono";
import { IDENTITY_VARIABLE, type Identity, STATIC_TOKEN_IDENTITY } from "../identity/identity.ts";
import type { RequestContext } from "../observability/request-context.ts";

/** Who presented this request's credential; undefined when it proves no one. */
export type Authenticate = (request: Request) => Identity | undefined | Promise<Identity | undefined>;

export type IdentityVariables = { [IDENTITY_VARIABLE]: Identity };

export function staticTokenAuthenticate(token: string): Authenticate {
  return (request) => {
    const presented = parseBearer(request.headers.get("authorization") ?? undefined);
    return presented !== undefined && secretsEqual(presented, token) ? STATIC_TOKEN_IDENTITY : undefined;
  };
}

/** The failure is a JSON-RPC error body with the `WWW-Authenticate` challenge RFC 6750 asks for. */
export function identityAuth(
  authenticate: Authenticate,
  context: Pick<RequestContext, "setIdentity">,
): MiddlewareHandler<{ Variables: IdentityVariables }> {
  return async (c, next) => {
    const identity = await authenticate(c.req.raw);
    if (identity) {
      c.set(IDENTITY_VARIABLE, identity);
      context.setIdentity(identity);
      return next();
    }
    const presented = parseBearer(c.req.header("authorization"));
    const reason = presented === undefined ? "missing bearer token" : "invalid bearer token";
    return c.json({ jsonrpc: "2.0", error: { code: -32001, message: `Unauthorized: ${reason}` }, id: null }, 401, {
      "WWW-Authenticate": `Bearer realm="mcp", error="invalid_token", error_description="${reason}"`,
    });
  };
}
