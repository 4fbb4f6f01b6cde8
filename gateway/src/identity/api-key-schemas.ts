/**
 * Request bodies of the API key routes; the same schemas validate requests and describe them in OpenAPI.
 */
import { z } from "zod";

const scopeOrRole = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "scopes and roles are printable ASCII without spaces, quotes or backslashes");

export const apiKeyId = z.uuid("the key id must be a UUID").describe("Id of the API key, as POST /keys returned it.");

export const createApiKeyBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe("What the key is for, e.g. nightly-report; shown in listings and logs."),
  scopes: z
    .array(scopeOrRole)
    .max(32)
    .optional()
    .describe("Scopes the key grants; defaults to the scopes the MCP endpoints require (OAUTH_SCOPES)."),
  roles: z.array(scopeOrRole).max(32).optional().describe("Roles of the key's identity, e.g. viewer."),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((value) => Date.parse(value) > Date.now(), "expiresAt must be in the future")
    .optional()
    .describe("When the key stops working (ISO 8601); without it the key works until revoked."),
  rateLimitPerMinute: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("Most MCP requests per minute this key may make."),
});
