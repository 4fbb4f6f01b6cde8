/**
 * Who may use what. One model: a caller may use a tool, resource or prompt when one of its grants
 * selects it, and an admin may use everything. A grant is a selection, in the same form as a virtual
 * server's, that the caller's identity earns:
 *
 * - every virtual server that lists one of the caller's scopes in `allowedScopes` or one of its roles in
 *   `allowedRoles`, or whose name the caller holds as the scope `mcp:servers:<name>`;
 * - the scope `mcp:services:<service>`: everything of that service;
 * - the scope `mcp:tools:<pattern>`: the tools the pattern selects, e.g. `mcp:tools:user-service/getUserById`.
 *
 * Admins are the static bearer token and identities holding the configured admin scope or role.
 */

import type { Identity } from "../identity/identity.ts";
import type { VirtualServerRecord } from "./virtual-server-queries.ts";

export const DEFAULT_ADMIN_SCOPE = "mcp:admin";
export const DEFAULT_ADMIN_ROLE = "mcp-admin";

export interface AccessPolicy {
  /** A scope whose holders may use everything. */
  adminScope: string;
  /** A role whose holders may use everything. */
  adminRole: string;
}

/**
 * What a virtual server or grant includes: everything of the named services, plus the tools, resources
 * and prompts that a pattern matches. A pattern is an exact name or a glob where `*` stands for any
 * characters; tool and prompt patterns match the name clients see or `<service>/<name at the service>`,
 * resource patterns match URIs and URI templates.
 */
export interface Selection {
  services: readonly string[];
  tools: readonly string[];
  resources: readonly string[];
  prompts: readonly string[];
}

const SERVER_SCOPE = "mcp:servers:";
const SERVICE_SCOPE = "mcp:services:";
const TOOL_SCOPE = "mcp:tools:";

export function isAdmin(identity: Identity, policy: AccessPolicy): boolean {
  return (
    identity.kind === "static-token" ||
    identity.scopes.includes(policy.adminScope) ||
    identity.roles.includes(policy.adminRole)
  );
}

/** The selections an identity's scopes and roles earn; their union is what it may use. */
export function grantsOf(identity: Identity, servers: readonly VirtualServerRecord[]): Selection[] {
  const scopes = new Set(identity.scopes);
  const roles = new Set(identity.roles);
  const grants: Selection[] = servers.filter(
    (server) =>
      scopes.has(`${SERVER_SCOPE}${server.name}`) ||
      server.allowedScopes.some((scope) => scopes.has(scope)) ||
      server.allowedRoles.some((role) => roles.has(role)),
  );
  for (const scope of identity.scopes) {
    if (scope.startsWith(SERVICE_SCOPE)) grants.push({ ...NOTHING, services: [scope.slice(SERVICE_SCOPE.length)] });
    if (scope.startsWith(TOOL_SCOPE)) grants.push({ ...NOTHING, tools: [scope.slice(TOOL_SCOPE.length)] });
  }
  return grants;
}

const NOTHING: Selection = { services: [], tools: [], resources: [], prompts: [] };
