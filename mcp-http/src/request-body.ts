/**
 * Reads and checks a JSON-RPC POST body before an MCP transport sees it, so that each kind of bad message
 * gets its own JSON-RPC error: -32700 for text that is not JSON, -32600 for JSON that is not a JSON-RPC
 * message (the SDKs report both as -32700), 413 past the size limit and 408 for a body that stops
 * arriving.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResponse,
  PROTOCOL_VERSION_META_KEY,
} from "@modelcontextprotocol/server";

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_BODY_READ_TIMEOUT_MS = 30_000;

/**
 * The parsed body of a JSON POST, a Response that answers the request when the body is refused, or
 * undefined for requests this does not read (GET, DELETE, non-JSON content types), which the transport
 * answers itself.
 */
export async function readMessages(
  request: Request,
  maxBytes: number,
  timeoutMs: number,
): Promise<{ parsed: unknown } | Response | undefined> {
  if (request.method !== "POST" || !isJsonContentType(request.headers.get("content-type"))) return undefined;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) return rpcError(413, -32000, `Request body exceeds ${maxBytes} bytes`);
  const text = await readBodyText(request, maxBytes, timeoutMs);
  if (text instanceof Response) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return rpcError(400, -32700, "Parse error: the body is not valid JSON");
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
    return rpcError(400, -32600, "Invalid Request: the body is not a JSON-RPC 2.0 message (or batch of messages)");
  }
  return (Array.isArray(parsed) && refuseRepeatedIds(parsed)) || { parsed };
}

function isJsonRpcMessage(message: unknown): boolean {
  return (
    isPlainRequest(message) || isJSONRPCRequest(message) || isJSONRPCNotification(message) || isJSONRPCResponse(message)
  );
}

const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);
/** The 2026-07-28 per-request envelope, which the message schema leaves to the revision's own checks. */
const ENVELOPE_KEYS = new Set([PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY]);

/**
 * A request the SDK's schema certainly accepts: only its four keys, an id that is a string or a safe
 * integer, and params (if any) an object whose `_meta`, if any, holds only the envelope. Nearly every
 * request is one, and checking it here costs a fraction of the schema's parse; anything else is left
 * to the schema.
 */
function isPlainRequest(message: unknown): boolean {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return false;
  const m = message as Record<string, unknown>;
  for (const key in m) if (!REQUEST_KEYS.has(key)) return false;
  if (m.jsonrpc !== "2.0" || typeof m.method !== "string") return false;
  if (typeof m.id !== "string" && !Number.isSafeInteger(m.id)) return false;
  if (!("params" in m)) return true;
  const { params } = m;
  if (typeof params !== "object" || params === null || Array.isArray(params)) return false;
  if (!("_meta" in params)) return true;
  const meta = params._meta;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return false;
  for (const key in meta) if (!ENVELOPE_KEYS.has(key)) return false;
  return true;
}

/**
 * Reads a body in one go when its length is declared, otherwise chunk by chunk, so a chunked body without
 * Content-Length is cut off at `maxBytes` rather than held whole in memory first; one that stops arriving
 * is given up after `timeoutMs` either way.
 */
async function readBodyText(request: Request, maxBytes: number, timeoutMs: number): Promise<string | Response> {
  if (!request.body) return "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const tooSlow = () => rpcError(408, -32000, `Request body not received in full within ${timeoutMs} ms`);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) <= maxBytes) {
    // HTTP framing holds the body to its declared length, checked above: read natively, without a
    // JavaScript stream, whose machinery was a measurable part of a gateway hop's CPU time.
    const reading = request.text();
    reading.catch(() => {});
    try {
      const text = await Promise.race([reading, deadline]);
      return text === "timeout" ? tooSlow() : text;
    } finally {
      clearTimeout(timer);
    }
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === "timeout") {
        void reader.cancel().catch(() => {});
        return tooSlow();
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => {});
        return rpcError(413, -32000, `Request body exceeds ${maxBytes} bytes`);
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Answers match requests by id, so two requests of one batch with the same id cannot both be answered
 * (the SDK would drop one result). Such a batch is refused whole, with an error for each of its
 * requests, as an array like the batch, rather than run in part.
 */
function refuseRepeatedIds(batch: unknown[]): Response | undefined {
  const requests = batch.filter(
    (m): m is { id: string | number } =>
      typeof m === "object" && m !== null && "method" in m && "id" in m && m.id !== undefined,
  );
  const seen = new Map<string | number, number>();
  for (const { id } of requests) seen.set(id, (seen.get(id) ?? 0) + 1);
  if (requests.length === seen.size) return undefined;
  const answers = requests.map(({ id }) => ({
    jsonrpc: "2.0",
    id,
    error: {
      code: -32600,
      message:
        (seen.get(id) ?? 0) > 1
          ? `Invalid Request: id ${JSON.stringify(id)} is used by more than one request of this batch`
          : "Invalid Request: not run, because other requests of this batch repeat an id",
    },
  }));
  return Response.json(answers, { status: 400 });
}

function isJsonContentType(header: string | null): boolean {
  return header !== null && /^application\/json\s*(;|$)/i.test(header.trim());
}

function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}
