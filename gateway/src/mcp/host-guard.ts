/**
 * Protects `/mcp` against DNS rebinding: a web page that gets its own host name pointed at the gateway
 * must not be able to drive it from a browser. The Host header, and the Origin header when a browser
 * sends one, must name an allowed host: local names always, others through ALLOWED_HOSTS.
 */
import type { MiddlewareHandler } from "hono";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function hostGuard(allowedHosts: readonly string[]): MiddlewareHandler {
  const extra = allowedHosts.map((h) => h.toLowerCase());
  const anyHost = extra.includes("*");
  const allowed = (hostname: string) =>
    anyHost ||
    LOCAL_HOSTS.has(hostname) ||
    hostname.endsWith(".localhost") ||
    extra.some((pattern) => (pattern.startsWith("*.") ? hostname.endsWith(pattern.slice(1)) : hostname === pattern));

  return async (c, next) => {
    const host = hostnameOf(c.req.header("host"));
    if (host === undefined || !allowed(host))
      return reject(`Host "${c.req.header("host") ?? ""}" is not allowed; add it to ALLOWED_HOSTS`);
    const origin = c.req.header("origin");
    if (origin !== undefined && origin !== "null") {
      const originHost = URL.canParse(origin) ? new URL(origin).hostname.toLowerCase() : undefined;
      if (originHost === undefined || !allowed(originHost))
        return reject(`Origin "${origin}" is not allowed; add its host to ALLOWED_HOSTS`);
    } else if (origin === "null") {
      return reject(`Origin "null" is not allowed`);
    }
    return next();
  };
}

/** The host name of a Host header value, without port and brackets' contents kept as-is. */
function hostnameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return URL.canParse(`http://${header}`) ? new URL(`http://${header}`).hostname.toLowerCase() : undefined;
}

function reject(message: string): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32000, message: `Forbidden: ${message}` }, id: null },
    { status: 403 },
  );
}
