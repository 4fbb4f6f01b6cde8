/**
 * The floor a gateway hop is held to: a Bun reverse proxy that passes each request to one backend with
 * `fetch` and its answer back, and does nothing else (no auth, routing, parsing or logging).
 *
 * Usage: PORT=… bun gateway/bench/bare-proxy.ts http://127.0.0.1:<backend port>
 */
const [target = ""] = Bun.argv.slice(2);
if (!URL.canParse(target)) throw new Error(`usage: bare-proxy.ts <backend base URL>, got "${target}"`);

Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  idleTimeout: 0,
  fetch(request) {
    const url = new URL(request.url);
    return fetch(`${target}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      // The answer goes back as it came, still compressed if it was.
      decompress: false,
    });
  },
});
