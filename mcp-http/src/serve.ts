/**
 * Starts a Hono-style fetch handler on Bun.serve and shuts it down gracefully on SIGTERM/SIGINT.
 *
 * It answers an orchestrator's probes itself, ahead of the app, so that they work while the app is still
 * being built and follow the drain: `GET /live` is 200 while the process serves at all; `GET /ready` is
 * 200 once `ready()` says so and 503 again from SIGTERM on. Neither needs credentials nor touches a store:
 * a restart would not bring back a database, and a probe must not be slowed by one.
 *
 * Bun closes a connection that has been quiet for `idleTimeout` seconds (10 by default). A tool call
 * may legitimately stay quiet for longer, so MCP requests are exempt from that limit; other routes keep
 * it so that dead connections are still reaped.
 */
import type { Server } from "bun";

export interface ServeOptions {
  port: number;
  hostname?: string;
  /** Seconds a non-MCP connection may stay quiet. */
  idleTimeoutSeconds?: number;
  /** Paths whose requests may run without an idle limit. */
  longRequestPaths?: string[];
  /**
   * Stop gracefully and exit on SIGTERM/SIGINT (default true). Turn it off where the process hosts more
   * than this server, as a test runner does: the handler would exit the whole process.
   */
  handleSignals?: boolean;
  /**
   * Called first on shutdown, to end responses that would otherwise never finish (event streams that
   * only the client closes), so that draining can complete.
   */
  onDraining?: () => void;
  /** Whether the app can take traffic (GET /ready); by default as soon as it listens. */
  ready?: () => boolean;
  /**
   * After SIGTERM, how long to go on serving new requests while `/ready` answers 503, so that load
   * balancers stop routing here before the listener closes (default 0). SIGINT, someone at a terminal,
   * skips it.
   */
  drainGraceMs?: number;
  /** Longest wait for in-flight requests before their connections are cut (default 25 s). */
  drainTimeoutMs?: number;
  /** Called after the listener closed and in-flight requests finished. */
  onShutdown?: () => Promise<void> | void;
  log?: (message: string) => void;
}

/** How long a drain waits for in-flight requests unless told otherwise; orchestrators must wait longer. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

type FetchHandler = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

export function serve(fetch: FetchHandler, options: ServeOptions): Server<undefined> {
  const longPaths = new Set(options.longRequestPaths ?? ["/mcp"]);
  const ready = options.ready ?? (() => true);
  const lifecycle = { draining: false };
  const server = Bun.serve({
    port: options.port,
    hostname: options.hostname,
    idleTimeout: options.idleTimeoutSeconds ?? 30,
    fetch(request, srv) {
      // Bun leaves request.url relative or unparsable when the Host header is no valid authority
      // (`a@b`, `a b`): refused here, before any route or URL parsing could fail on it.
      if (!URL.canParse(request.url)) return badRequest("the Host header is not a valid host");
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/live") return Response.json({ status: "live" });
      if (request.method === "GET" && path === "/ready") return readiness(lifecycle.draining, ready);
      if (longPaths.has(path)) srv.timeout(request, 0);
      return fetch(request, srv);
    },
    // Without it Bun answers an uncaught error with a page of stack lines (and writes them to stderr).
    error(error) {
      options.log?.(`unhandled error: ${error.message}`);
      return Response.json({ error: { code: "internal_error", message: "internal error" } }, { status: 500 });
    },
  });
  if (options.handleSignals ?? true) installGracefulShutdown(server, lifecycle, options);
  return server;
}

function badRequest(message: string): Response {
  return Response.json({ error: { code: "bad_request", message } }, { status: 400 });
}

function readiness(draining: boolean, ready: () => boolean): Response {
  if (draining) return Response.json({ status: "draining" }, { status: 503 });
  if (!ready()) return Response.json({ status: "starting" }, { status: 503 });
  return Response.json({ status: "ready" });
}

function installGracefulShutdown(
  server: Server<undefined>,
  lifecycle: { draining: boolean },
  options: ServeOptions,
): void {
  const stop = async (signal: string) => {
    if (lifecycle.draining) return;
    lifecycle.draining = true;
    const graceMs = signal === "SIGTERM" ? (options.drainGraceMs ?? 0) : 0;
    if (graceMs > 0) {
      options.log?.(`${signal} received, not ready; serving ${graceMs} ms more before draining`);
      await Bun.sleep(graceMs);
    }
    options.log?.(`${signal} received, finishing in-flight requests`);
    options.onDraining?.();
    // stop(false) refuses new connections and resolves once open requests have completed; a request
    // that outlives the deadline (a hung backend call) is cut, so an orchestrator's kill never has to.
    const drained = server.stop(false).then(() => true);
    const deadline = Bun.sleep(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS).then(() => false);
    if (!(await Promise.race([drained, deadline]))) {
      options.log?.("in-flight requests outlived the drain deadline; closing their connections");
      await server.stop(true);
    }
    await options.onShutdown?.();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
