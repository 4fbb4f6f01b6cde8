/**
 * A JSON-RPC request to an MCP endpoint as plain HTTP, for tests about what the SDK client hides: status
 * codes, headers, the fast path's JSON answers.
 */
export function postMcp(
  endpoint: string,
  token: string,
  message: object = { jsonrpc: "2.0", id: 1, method: "tools/list" },
  accept = "application/json, text/event-stream",
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(endpoint, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json", Accept: accept, Authorization: `Bearer ${token}` },
    body: JSON.stringify(message),
  });
}
