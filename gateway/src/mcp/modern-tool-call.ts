/**
 * The 2026-07-28 tools/call that nearly every modern client sends, recognised without the v2 SDK's
 * handler: building a v2 Server and running the handler's checks for each call cost the gateway about
 * a third more CPU per call than a 2025 call (`bun run bench`). Only requests the handler certainly
 * accepts qualify: the headers the revision requires, agreeing with the body; the per-request envelope
 * exactly as the SDK's client sends it; nothing else in params. A plain result (see plain-tool-result.ts)
 * is then answered here, byte for byte as the handler answers it; any other outcome, and every other
 * request, is the handler's to answer (see modern-mcp.ts).
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  SERVER_INFO_META_KEY,
} from "@modelcontextprotocol/server";
import { GATEWAY_SERVER_INFO } from "./gateway-mcp-server.ts";
import type { PlainToolResult } from "./plain-tool-result.ts";

const MODERN_REVISION = "2026-07-28";
const JSON_HEADERS = { "Content-Type": "application/json" };
const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);
const PARAM_KEYS = new Set(["name", "arguments", "_meta"]);
const ENVELOPE_KEYS = new Set([PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY]);
/** Names that travel in Mcp-Name as they are (others are Base64-encoded there, which the SDK decodes). */
const PLAIN_NAME = /^[\w.-]{1,128}$/;
/** What the handler appends to every result of this revision, in its order. */
const RESULT_TAIL = `"resultType":"complete","_meta":${JSON.stringify({ [SERVER_INFO_META_KEY]: GATEWAY_SERVER_INFO })}}`;

export interface ModernCall {
  id: string | number;
  name: string;
  arguments?: Record<string, unknown>;
  /** What the client can be asked (passed on to a 2026-07-28 backend, which asks only that). */
  clientCapabilities: Record<string, unknown>;
}

/** The call, when `body` is a 2026-07-28 tools/call the SDK's handler would take as it is. */
export function plainModernCall(request: Request, body: unknown): ModernCall | undefined {
  const { headers } = request;
  if (headers.get("mcp-protocol-version") !== MODERN_REVISION || headers.get("mcp-method") !== "tools/call")
    return undefined;
  const accept = headers.get("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return undefined;
  if (!isRecord(body) || !onlyKeys(body, REQUEST_KEYS) || body.jsonrpc !== "2.0" || body.method !== "tools/call")
    return undefined;
  const { id, params } = body;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return undefined;
  if (!isRecord(params) || !onlyKeys(params, PARAM_KEYS)) return undefined;
  const { name, arguments: args, _meta } = params;
  if (typeof name !== "string" || !PLAIN_NAME.test(name) || headers.get("mcp-name") !== name) return undefined;
  if (args !== undefined && !isRecord(args)) return undefined;
  if (!isPlainEnvelope(_meta)) return undefined;
  const clientCapabilities = (_meta as Record<string, unknown>)[CLIENT_CAPABILITIES_META_KEY] as Record<
    string,
    unknown
  >;
  return { id: id as string | number, name, ...(args === undefined ? {} : { arguments: args }), clientCapabilities };
}

/** The handler's answer to `id` with `result`, without the handler. */
export function modernToolAnswer(id: string | number, result: PlainToolResult): Response {
  const fields = JSON.stringify(result);
  // The result's own fields, then the revision's: `{"content":[...]` + `,"resultType":...}`.
  const body = `{"result":${fields.slice(0, -1)},${RESULT_TAIL},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;
  return new Response(body, { headers: JSON_HEADERS });
}

/** The three envelope fields the SDK's client sends, of the shapes its schema takes, and no others. */
function isPlainEnvelope(meta: unknown): boolean {
  if (!isRecord(meta) || !onlyKeys(meta, ENVELOPE_KEYS)) return false;
  if (meta[PROTOCOL_VERSION_META_KEY] !== MODERN_REVISION) return false;
  const info = meta[CLIENT_INFO_META_KEY];
  if (!isRecord(info) || !onlyKeys(info, INFO_KEYS)) return false;
  if (typeof info.name !== "string" || typeof info.version !== "string") return false;
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  if (!isRecord(capabilities)) return false;
  // Declared capabilities are objects of settings; anything more unusual is the schema's to judge.
  for (const key in capabilities) {
    const capability = capabilities[key];
    if (!isRecord(capability)) return false;
    for (const setting in capability) if (!isRecord(capability[setting])) return false;
  }
  return true;
}

const INFO_KEYS = new Set(["name", "version"]);

function onlyKeys(value: Record<string, unknown>, allowed: Set<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
