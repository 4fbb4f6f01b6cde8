/**
 * Every JSON-RPC error code the gateway answers with, in one place, each saying one thing. JSON-RPC
 * leaves -32000 to -32099 to servers. The gateway keeps the meanings that MCP and its SDKs already give
 * some of them: -32001 for a request without valid credentials or with an unknown session (the SDKs'
 * transports answer it too, with 401 or 404 telling the two apart), -32002 for an unknown resource, and
 * the 1.x SDK's -32000 "connection closed" and -32001 "request timeout" for a request the gateway waited
 * on for the client and gave up.
 * The 2026-07-28 revision's own errors (-32020 header mismatch, -32021 missing client capability) are
 * answered by the v2 SDK or passed on from backends as they came.
 */

/** The HTTP request itself is refused: its body, its Host or Origin, what it accepts, a missing header. */
export const BAD_REQUEST = -32000;
/** No valid credential (401/403/503), or a session the gateway does not know (404). */
export const UNAUTHORIZED = -32001;
/** A request waiting on the client ends because the gateway shuts down (the 1.x SDK's "connection closed"). */
export const CONNECTION_CLOSED = -32000;
/** A backend's question the client did not answer in time (the 1.x SDK's "request timeout"). */
export const REQUEST_TIMEOUT = -32001;
/** A resource URI that no service of the caller's view serves. */
export const RESOURCE_NOT_FOUND = -32002;
/** Something the endpoint has but the caller's grants do not include. */
export const NOT_PERMITTED = -32003;
/** A `/servers/<name>/mcp` path that names no virtual server. */
export const UNKNOWN_VIRTUAL_SERVER = -32004;
/** A tools/call over the caller's rate limit; `data` says which limit and when to retry. */
export const RATE_LIMITED = -32029;

/** A JSON-RPC error answered over HTTP before a message of the request was read, so with no request id. */
export function rpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers });
}
