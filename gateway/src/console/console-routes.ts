/**
 * Serves the operator console at /ui. Pages are client-side routes, so every path below /ui that is not
 * a file gets the page itself. The page signs in with an admin or viewer key that it keeps in the tab's
 * session storage and sends as a header, never in a URL.
 */
import { Hono } from "hono";
import type { ConsoleAssets } from "./console-assets.ts";

// The console loads nothing from elsewhere: it works offline, and an injected script has nowhere to go.
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** `load` runs on the first request for the console, so a gateway nobody opens it on never bundles it. */
export function createConsoleRoutes(load: () => Promise<ConsoleAssets>): Hono {
  const app = new Hono();
  let assetsOnce: Promise<ConsoleAssets> | undefined;
  app.get("/ui", (c) => c.redirect("/ui/", 308));
  app.get("/ui/*", async (c) => {
    assetsOnce ??= load();
    const assets = await assetsOnce;
    const path = c.req.path.slice("/ui/".length);
    const file = assets.get(path) ?? (path.startsWith("assets/") ? undefined : assets.get("index.html"));
    if (!file) return c.notFound();
    const gzip = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
    return c.body(gzip ? file.gzipped : file.body, 200, {
      ...SECURITY_HEADERS,
      "Content-Type": file.type,
      // Asset names carry no hash, so a browser must ask again after an upgrade; they are small.
      "Cache-Control": "no-cache",
      Vary: "Accept-Encoding",
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    });
  });
  return app;
}
