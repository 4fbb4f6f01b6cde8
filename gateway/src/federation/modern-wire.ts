/**
 * The 2026-07-28 revision on the wire, as the gateway speaks it to a backend. There is no `initialize`
 * and no session: every request names the revision and the gateway's client info and capabilities in
 * its own `_meta`, and repeats its method (and, for calls, reads and prompts, the name it is about) in
 * headers that the backend checks against the body, so that intermediaries can route without parsing it.
 */

/** The first revision of the stateless era; revision names are dates, so later ones sort after it. */
export const MODERN_REVISION = "2026-07-28";

const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
const CLIENT_CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
const LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel";
const SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo";

/** The body field each method's `Mcp-Name` header repeats. */
const NAME_FIELD: Record<string, string> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};

export function isModernRevision(revision: string | null | undefined): revision is string {
  return typeof revision === "string" && revision >= MODERN_REVISION;
}

export interface ClientIdentity {
  clientInfo: { name: string; version: string };
  capabilities: Record<string, unknown>;
  /** The least severe log level the backend may send messages of during the request; none when left out. */
  logLevel?: string;
}

/** `params` with the revision's per-request `_meta` added; the caller's own `_meta` entries are kept. */
export function withModernEnvelope(
  params: Record<string, unknown>,
  revision: string,
  { clientInfo, capabilities, logLevel }: ClientIdentity,
): Record<string, unknown> {
  const meta = params._meta;
  return {
    ...params,
    _meta: {
      ...(typeof meta === "object" && meta !== null ? meta : {}),
      [PROTOCOL_VERSION_KEY]: revision,
      [CLIENT_INFO_KEY]: clientInfo,
      [CLIENT_CAPABILITIES_KEY]: capabilities,
      ...(logLevel === undefined ? {} : { [LOG_LEVEL_KEY]: logLevel }),
    },
  };
}

/**
 * A backend's result without what belongs to its own exchange with the gateway: `resultType: "complete"`
 * (no field of the 2025 revision; the gateway's own endpoint adds it for a 2026-07-28 client) and the
 * backend's serverInfo in `_meta` (the client's server is the gateway). An input-required result keeps
 * its `resultType`: the gateway relays it.
 */
export function fromModernResult(result: Record<string, unknown>): Record<string, unknown> {
  const meta = result._meta as Record<string, unknown> | undefined;
  const hasServerInfo = typeof meta === "object" && meta !== null && SERVER_INFO_KEY in meta;
  if (result.resultType !== "complete" && !hasServerInfo) return result;
  const { resultType, _meta, ...rest } = result;
  const kept: Record<string, unknown> = resultType === "complete" ? rest : { ...rest, resultType };
  if (!hasServerInfo) return _meta === undefined ? kept : { ...kept, _meta };
  const { [SERVER_INFO_KEY]: _, ...otherMeta } = meta;
  return Object.keys(otherMeta).length === 0 ? kept : { ...kept, _meta: otherMeta };
}

/** The headers a request must carry beside its body: the method, and the name it is about where it has one. */
export function modernRequestHeaders(method: string, params: Record<string, unknown>): Record<string, string> {
  const field = Object.hasOwn(NAME_FIELD, method) ? NAME_FIELD[method] : undefined;
  const name = field === undefined ? undefined : params[field];
  return typeof name === "string" ? { "Mcp-Method": method, "Mcp-Name": headerValue(name) } : { "Mcp-Method": method };
}

const BASE64_PREFIX = "=?base64?";
const BASE64_SUFFIX = "?=";

/**
 * A name as an HTTP field value: plain printable ASCII as it is; anything else (non-ASCII, control
 * characters, surrounding spaces, or text that looks like the encoded form) as the revision's Base64 form.
 */
function headerValue(name: string): string {
  const plain =
    name.length > 0 &&
    name === name.trim() &&
    !(name.startsWith(BASE64_PREFIX) && name.endsWith(BASE64_SUFFIX)) &&
    /^[\t\x20-\x7e]*$/.test(name);
  return plain ? name : `${BASE64_PREFIX}${Buffer.from(name, "utf8").toString("base64")}${BASE64_SUFFIX}`;
}
