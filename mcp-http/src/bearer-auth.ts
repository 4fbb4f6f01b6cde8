import type { MiddlewareHandler } from "hono";
import { secretsEqual } from "./secrets-equal.ts";

/**
 * Requires `Authorization: Bearer <token>`. The failure is a JSON-RPC error body, since the callers of
 * these routes are MCP clients, with the `WWW-Authenticate` challenge RFC 6750 asks for.
 */
export function bearerAuth(token: string): MiddlewareHandler {
  return async (c, next) => {
    const presented = parseBearer(c.req.header("authorization"));
    if (presented !== undefined && secretsEqual(presented, token)) return next();
    const reason = presented === undefined ? "missing bearer token" : "invalid bearer token";
    return c.json({ jsonrpc: "2.0", error: { code: -32001, message: `Unauthorized: ${reason}` }, id: null }, 401, {
      "WWW-Authenticate": `Bearer realm="mcp", error="invalid_token", error_description="${reason}"`,
    });
  };
}

/** The token of an `Authorization: Bearer` header; the scheme is case-insensitive (RFC 7235). */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
