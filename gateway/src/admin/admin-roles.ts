/**
 * The two roles of the admin API: `admin` may change things, `viewer` may only read. The design's
 * API_KEY is the bootstrap admin key.
 */
import { secretsEqual } from "@mcp-federation/mcp-http";
import type { Context } from "hono";

export type AdminRole = "admin" | "viewer";

export function createRoleResolver(keys: {
  apiKey: string;
  viewerApiKey?: string;
}): (c: Context) => AdminRole | undefined {
  return (c) => {
    const key = c.req.header("x-api-key");
    if (key === undefined) return undefined;
    if (secretsEqual(key, keys.apiKey)) return "admin";
    if (keys.viewerApiKey !== undefined && secretsEqual(key, keys.viewerApiKey)) return "viewer";
    return undefined;
  };
}
