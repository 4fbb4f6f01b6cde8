/**
 * Where a registered service answers. The design registers services by their base URL
 * (`http://localhost:3002`), whose MCP endpoint is `/mcp`; a URL that already names a path is used as it
 * is, so third-party servers mounted elsewhere can be registered too.
 */
export function mcpEndpoint(serviceUrl: string): URL {
  const url = new URL(serviceUrl);
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/mcp";
  return url;
}

/** The conventional health URL of a service registered by its base URL, or undefined for a custom path. */
export function healthEndpoint(serviceUrl: string): URL | undefined {
  const url = new URL(serviceUrl);
  if (url.pathname !== "" && url.pathname !== "/") return undefined;
  url.pathname = "/health";
  return url;
}
