/**
 * Turns the credential on a request to an MCP endpoint into an Identity: an API key (`mcpk_...`), the
 * static MCP_BEARER_TOKEN, or an OAuth access token. The Identity goes on the Hono context under
 * IDENTITY_VARIABLE and into the request context, where the MCP handlers read it; the credential
 * itself goes nowhere, so it can reach neither a backend nor a log line.
 *
 * Failures follow the MCP authorization spec: 401 with a challenge that points to the endpoint's
 * protected resource metadata, 403 `insufficient_scope` naming the scopes to ask for (step-up).
 */

import { parseBearer, secretsEqual } from "@mcp-federation/mcp-http";
import type { Context, MiddlewareHandler } from "hono";
import { rpcErrorResponse, UNAUTHORIZED } from "../mcp/json-rpc-errors.ts";
import type { RequestContext } from "../observability/request-context.ts";
import { API_KEY_PREFIX, type ApiKeyStore } from "./api-keys.ts";
import { IDENTITY_VARIABLE, type Identity, STATIC_TOKEN_IDENTITY } from "./identity.ts";
import { IssuerUnavailable, type OAuthVerifier, TokenRefused } from "./oauth-verifier.ts";
import type { ProtectedResources } from "./protected-resource.ts";

declare module "hono" {
  interface ContextVariableMap {
    [IDENTITY_VARIABLE]: Identity;
  }
}

export interface McpAuthDeps {
  /** MCP_BEARER_TOKEN, or undefined when MCP_STATIC_TOKEN=off. */
  staticToken?: string;
  apiKeys: ApiKeyStore;
  /** Scopes an API key or access token must grant to use an MCP endpoint. */
  scopes: readonly string[];
  /** Present when OAuth is on (OAUTH_ISSUER). */
  oauth?: { verifier: OAuthVerifier; resources: ProtectedResources; audience: string };
  requestContext: RequestContext;
}

/**
 * Builds the auth middleware of one MCP endpoint, named by its path (`/mcp`), or by a function of
 * the request for routes with parameters (`(c) => c.req.path` for `/servers/:name/mcp`). `authenticate`
 * is the same check without Hono, for app.ts's direct `/mcp` lane: the caller's Identity, or the
 * response that refuses the request; the caller runs its handler with `requestContext.runAs`.
 */
export type McpAuth = ((resourcePath: string | ((c: Context) => string)) => MiddlewareHandler) & {
  authenticate(request: Request, resourcePath: string): Promise<Identity | Response>;
};

type Refusal = { status: 401 | 403 | 503; error?: string; reason: string };

export function createMcpAuth(deps: McpAuthDeps): McpAuth {
  const { staticToken, apiKeys, oauth, requestContext } = deps;
  const scope = deps.scopes.join(" ");
  const grantsScopes = (identity: Identity) => deps.scopes.every((s) => identity.scopes.includes(s));

  const audiencesFor = (path: string): string[] => {
    if (!oauth) return [];
    const own = oauth.resources.resourceFor(path);
    // A token for the gateway as a whole is good on each of its endpoints.
    return own === oauth.audience ? [own] : [own, oauth.audience];
  };

  const identify = async (token: string, path: string): Promise<Identity | Refusal> => {
    if (token.startsWith(API_KEY_PREFIX)) {
      const checked = apiKeys.check(token);
      if ("refused" in checked) return { status: 401, error: "invalid_token", reason: checked.refused };
      return grantsScopes(checked.identity) ? checked.identity : insufficientScope();
    }
    if (staticToken !== undefined && secretsEqual(token, staticToken)) return STATIC_TOKEN_IDENTITY;
    if (!oauth) return { status: 401, error: "invalid_token", reason: "invalid bearer token" };
    try {
      const identity = await oauth.verifier.verify(token, audiencesFor(path));
      return grantsScopes(identity) ? identity : insufficientScope();
    } catch (error) {
      if (error instanceof TokenRefused) return { status: 401, error: "invalid_token", reason: error.message };
      if (error instanceof IssuerUnavailable) return { status: 503, reason: "the authorization server is unavailable" };
      throw error;
    }
  };

  const insufficientScope = (): Refusal => ({
    status: 403,
    error: "insufficient_scope",
    reason: `this endpoint needs the scope "${scope}"`,
  });

  const challenge = (path: string, refusal: Refusal): string => {
    const params = oauth
      ? [`resource_metadata="${oauth.resources.metadataUrlFor(path)}"`, `scope="${scope}"`]
      : [`realm="mcp"`];
    // A quoted-string cannot hold a bare quote; the reasons quote claim and scope names.
    if (refusal.error)
      params.push(`error="${refusal.error}"`, `error_description="${refusal.reason.replaceAll('"', "'")}"`);
    return `Bearer ${params.join(", ")}`;
  };

  const authenticate = async (authorization: string | undefined, path: string): Promise<Identity | Response> => {
    const token = parseBearer(authorization);
    // No credential at all: the bare challenge, which starts a client's OAuth flow (RFC 6750 section 3.1).
    const result: Identity | Refusal =
      token === undefined ? { status: 401, reason: "missing bearer token" } : await identify(token, path);
    if ("kind" in result) return result;
    const headers: Record<string, string> =
      result.status === 503 ? { "Retry-After": "5" } : { "WWW-Authenticate": challenge(path, result) };
    const message = `${result.status === 403 ? "Forbidden" : result.status === 401 ? "Unauthorized" : "Unavailable"}: ${result.reason}`;
    return rpcErrorResponse(result.status, UNAUTHORIZED, message, headers);
  };

  const middleware = (resourcePath: string | ((c: Context) => string)): MiddlewareHandler => {
    const pathOf = typeof resourcePath === "string" ? () => resourcePath : resourcePath;
    return async (c, next) => {
      const result = await authenticate(c.req.header("authorization"), pathOf(c));
      if (result instanceof Response) return result;
      c.set(IDENTITY_VARIABLE, result);
      return requestContext.runAs(result, next);
    };
  };
  return Object.assign(middleware, {
    authenticate: (request: Request, resourcePath: string) =>
      authenticate(request.headers.get("authorization") ?? undefined, resourcePath),
  });
}
