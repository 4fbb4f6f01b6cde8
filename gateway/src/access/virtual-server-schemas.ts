/**
 * Request bodies of `/virtual-servers`. The same schemas validate requests and describe them to clients.
 */
import { z } from "zod";
import { serviceName } from "../admin/admin-schemas.ts";

export const virtualServerName = z
  .string()
  .min(1, "name must not be empty")
  .max(63, "name must be at most 63 characters")
  .regex(/^[a-z0-9_-]+$/, "name may contain only lowercase letters, digits, '-' and '_'")
  .describe("Unique name of the virtual server; it is served at /servers/<name>/mcp.");

const patterns = (what: string, example: string) =>
  z
    .array(
      z
        .string()
        .min(1, "patterns must not be empty")
        .max(512, "patterns must be at most 512 characters")
        .regex(/^[^\s]+$/, "patterns must not contain whitespace"),
    )
    .max(256, "at most 256 entries")
    .default([])
    .describe(`${what}: exact names or globs where * stands for any characters, e.g. ${example}.`);

const grantees = (what: string) =>
  z
    .array(
      z
        .string()
        .min(1, `${what} must not be empty`)
        .max(256, `${what} must be at most 256 characters`)
        .regex(/^[^\s]+$/, `${what} must not contain whitespace`),
    )
    .max(64, "at most 64 entries")
    .default([]);

const fields = {
  description: z.string().max(1024, "description must be at most 1024 characters").nullable().default(null),
  services: z
    .array(serviceName)
    .max(256, "at most 256 entries")
    .default([])
    .describe("Services whose tools, resources and prompts the server includes entirely."),
  tools: patterns("Tools, by the name clients see or <service>/<tool>", "get*, user-service/getUserById"),
  resources: patterns("Resources, by URI or URI template", "shop://products/*"),
  prompts: patterns("Prompts, by the name clients see or <service>/<prompt>", "summar*"),
  allowedScopes: grantees("scopes").describe(
    "Callers holding any of these scopes may use the server (so may admins and holders of mcp:servers:<name>).",
  ),
  allowedRoles: grantees("roles").describe("Callers holding any of these roles may use the server."),
  mode: z
    .enum(["direct", "search"])
    .default("direct")
    .describe(
      'How the server offers its tools: "direct" lists them all; "search" lists only search_tools, which finds tools by what they do, and call_tool, which calls one by name. For catalogs too large to list.',
    ),
};

export const createVirtualServerBody = z.strictObject({ name: virtualServerName, ...fields });
/** PUT replaces the whole server but its name; omitted lists become empty. */
export const replaceVirtualServerBody = z.strictObject(fields);
