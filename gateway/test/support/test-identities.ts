/**
 * Several callers for one test gateway without a real auth module: each bearer token stands for the
 * Identity given for it, through the gateway's `authenticate` seam.
 */
import { parseBearer } from "@mcp-federation/mcp-http";
import type { Authenticate } from "../../src/identity/authenticate.ts";
import type { Identity } from "../../src/identity/identity.ts";

/** An API-key identity named after its subject, with its own limit when given. */
export function apiKeyIdentity(subject: string, rateLimitPerMinute?: number): Identity {
  return { kind: "api-key", subject, name: subject, scopes: [], roles: [], rateLimitPerMinute };
}

/** Accepts exactly the tokens of `identities` (token → identity). */
export function testAuthenticator(identities: Record<string, Identity>): Authenticate {
  return (request) => {
    const token = parseBearer(request.headers.get("authorization") ?? undefined);
    return token === undefined ? undefined : identities[token];
  };
}
