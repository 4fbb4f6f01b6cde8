/**
 * Protects `/mcp` against DNS rebinding: a web page that gets its own host name pointed at the gateway
 * must not be able to drive it from a browser. The Host header, and the Origin header when a browser
 * sends one, must name an allowed host: local names always, others through ALLOWED_HOSTS.
 */

import type { MiddlewareHandler } from "hono";
import { BAD_REQUEST, rpcErrorResponse } from "./json-rpc-errors.ts";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);
/** Host header values whose verdict is kept; past this many (a client making them up) the list starts over. */
const HOST_VERDICTS_KEPT = 256;

export function hostGuard(allowedHosts: readonly string[]): MiddlewareHandler {
  const check = createHostCheck(allowedHosts);
  return async (c, next) => check(c.req.raw) ?? next();
}

/** The guard without Hono (for app.ts's direct `/mcp` lane): the refusal, or undefined for an allowed request. */
export function createHostCheck(allowedHosts: readonly string[]): (request: Request) => Response | undefined {
  const extra = allowedHosts.map((h) => h.toLowerCase());
  const anyHost = extra.includes("*");
  const allowed = (hostname: string) =>
    anyHost ||
    LOCAL_HOSTS.has(hostname) ||
    hostname.endsWith(".localhost") ||
    extra.some((pattern) => (pattern.startsWith("*.") ? hostname.endsWith(pattern.slice(1)) : hostname === pattern));

  // Clients send the same few Host values again and again; parsing each as a URL was measurable per call.
  const hostVerdicts = new Map<string, boolean>();
  const allowedHost = (header: string | undefined): boolean => {
    if (header === undefined) return false;
    let verdict = hostVerdicts.get(header);
    if (verdict !== undefined) return verdict;
    const host = hostnameOf(header);
    verdict = host !== undefined && allowed(host);
    if (hostVerdicts.size >= HOST_VERDICTS_KEPT) hostVerdicts.clear();
    hostVerdicts.set(header, verdict);
    return verdict;
  };

  return (request) => {
    const header = request.headers.get("host") ?? undefined;
    if (!allowedHost(header)) return reject(`Host "${header ?? ""}" is not allowed; add it to ALLOWED_HOSTS`);
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== "null") {
      const originHost = URL.canParse(origin) ? new URL(origin).hostname.toLowerCase() : undefined;
      if (originHost === undefined || !allowed(originHost))
        return reject(`Origin "${origin}" is not allowed; add its host to ALLOWED_HOSTS`);
    } else if (origin === "null") {
      return reject(`Origin "null" is not allowed`);
    }
    return undefined;
  };
}

/** The host name of a Host header value, without port and brackets' contents kept as-is. */
function hostnameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return URL.canParse(`http://${header}`) ? new URL(`http://${header}`).hostname.toLowerCase() : undefined;
}

function reject(message: string): Response {
  return rpcErrorResponse(403, BAD_REQUEST, `Forbidden: ${message}`);
}
