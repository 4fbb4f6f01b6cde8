import { ProtocolError } from "@modelcontextprotocol/server";
import { NOT_PERMITTED } from "../mcp/json-rpc-errors.ts";

/** Refuses a call to something the endpoint has but the caller's grants do not include. */
export function notPermitted(what: string): ProtocolError {
  return new ProtocolError(
    NOT_PERMITTED,
    `Not permitted: this caller may not use ${what}. Its lists show everything it may use; ask an administrator for access.`,
  );
}
