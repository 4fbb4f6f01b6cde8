import { McpError } from "@modelcontextprotocol/sdk/types.js";

/**
 * The JSON-RPC error code of a call the caller may not make. JSON-RPC leaves -32000 to -32099 to
 * servers; the gateway already answers -32001 for a missing credential or session, -32002 for an
 * unknown resource.
 */
export const NOT_PERMITTED = -32003;

/** Refuses a call to something the endpoint has but the caller's grants do not include. */
export function notPermitted(what: string): McpError {
  return new McpError(
    NOT_PERMITTED,
    `Not permitted: this caller may not use ${what}. Its lists show everything it may use; ask an administrator for access.`,
  );
}
