/**
 * Who is calling the gateway, as every access decision, rate limit and audit row sees it. The auth
 * middleware of an MCP endpoint resolves the presented credential (the static bearer token, an OAuth
 * access token or an API key) into one of these and stores it on the request's context under
 * IDENTITY_VARIABLE; nothing downstream looks at the raw credential again.
 */
export interface Identity {
  /** How the caller proved who it is. */
  kind: "static-token" | "oauth" | "api-key";
  /** Stable id for audit rows and rate limits: the OAuth `sub`, the API key's id, or "static-token". */
  subject: string;
  /** A readable name where there is one: the API key's name, the OAuth client id. */
  name?: string;
  /** Granted scopes (OAuth `scope` claim, or the API key's scopes). */
  scopes: readonly string[];
  /** Roles or groups from the configured claim (OAuth), or the API key's roles. */
  roles: readonly string[];
  /** Requests per minute allowed to this identity, when it carries its own limit (API keys). */
  rateLimitPerMinute?: number;
}

/** The Hono context variable that holds the caller's Identity on authenticated routes. */
export const IDENTITY_VARIABLE = "identity";

/** The configured static bearer token: the design's demo credential, with full access. */
export const STATIC_TOKEN_IDENTITY: Identity = {
  kind: "static-token",
  subject: "static-token",
  scopes: [],
  roles: [],
};
