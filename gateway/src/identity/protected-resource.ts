/**
 * The gateway as an OAuth protected resource (RFC 9728): each MCP endpoint is a resource of its own,
 * named by its public URL, and describes itself at `/.well-known/oauth-protected-resource<path>`, the
 * address its 401 challenges point clients to. `/mcp`'s resource URI is OAUTH_AUDIENCE.
 */
import { type Context, Hono } from "hono";
import type { OAuthSettings } from "../config.ts";

export interface ProtectedResources {
  /** The resource URI of the MCP endpoint at `path` (e.g. `/mcp`, `/servers/<name>/mcp`). */
  resourceFor(path: string): string;
  /** Where the metadata of the endpoint at `path` is served. */
  metadataUrlFor(path: string): string;
  /** The endpoint's protected resource metadata document. */
  metadataFor(path: string): ProtectedResourceMetadata;
  /** The scopes a token needs on every MCP endpoint. */
  readonly scopes: readonly string[];
}

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name: string;
}

const WELL_KNOWN_PATH = "/.well-known/oauth-protected-resource";

/** The MCP endpoints a metadata document can describe: the federated one and every virtual server's. */
const MCP_ENDPOINT = /^\/(?:mcp|servers\/[a-z0-9_-]{1,63}\/mcp)$/;

export function createProtectedResources(publicUrl: string, oauth: OAuthSettings): ProtectedResources {
  const resourceFor = (path: string) => (path === "/mcp" ? oauth.audience : `${publicUrl}${path}`);
  return {
    resourceFor,
    metadataUrlFor: (path) => `${publicUrl}${WELL_KNOWN_PATH}${path}`,
    metadataFor: (path) => ({
      resource: resourceFor(path),
      authorization_servers: [oauth.issuer],
      scopes_supported: [...oauth.scopes],
      // Only the Authorization header: tokens in query strings end up in access logs.
      bearer_methods_supported: ["header"],
      resource_name: path === "/mcp" ? "MCP Federation Gateway" : `MCP Federation Gateway ${path}`,
    }),
    scopes: oauth.scopes,
  };
}

/**
 * The metadata routes. The bare well-known path describes `/mcp`, for clients that only look there.
 * Browser-based clients read these across origins, hence the open CORS header: the documents are public.
 */
export function createProtectedResourceRoutes(resources: ProtectedResources): Hono {
  const app = new Hono();
  const serve = (c: Context, path: string) =>
    c.json(resources.metadataFor(path), 200, { "Access-Control-Allow-Origin": "*" });
  app.get(WELL_KNOWN_PATH, (c) => serve(c, "/mcp"));
  app.get(`${WELL_KNOWN_PATH}/*`, (c, next) => {
    const path = c.req.path.slice(WELL_KNOWN_PATH.length);
    return MCP_ENDPOINT.test(path) ? serve(c, path) : next();
  });
  return app;
}
