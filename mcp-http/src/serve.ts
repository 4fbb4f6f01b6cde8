/**
 * Starts a Hono-style fetch handler on Bun.serve and shuts it down gracefully on SIGTERM/SIGINT.
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
  /** Longest wait for in-flight requests before their connections are cut (default 25 s). */
  drainTimeoutMs?: number;
  /** Called after the listener closed and in-flight requests finished. */
  onShutdown?: () => Promise<void> | void;
  log?: (message: string) => void;
}

type FetchHandler = (request: Request, server: Server<undefined>) => Response | Promise<Response>;

export function serve(fetch: FetchHandler, options: ServeOptions): Server<undefined> {
  const longPaths = new Set(options.longRequestPaths ?? ["/mcp"]);
  const server = Bun.serve({
    port: options.port,
    hostname: options.hostname,
    idleTimeout: options.idleTimeoutSeconds ?? 30,
    fetch(request, srv) {
      // Bun leaves request.url relative or unparsable when the Host header is no valid authority
      // (`a@b`, `a b`): refused here, before any route or URL parsing could fail on it.
      if (!URL.canParse(request.url)) return badRequest("the Host header is not a valid host");
      if (longPaths.has(new URL(request.url).pathname)) srv.timeout(request, 0);
      return fetch(request, srv);
    },
    // Without it Bun answers an uncaught error with a page of stack lines (and writes them to stderr).
    error(error) {
      options.log?.(`unhandled error: ${error.message}`);
      return Response.json({ error: { code: "internal_error", message: "internal error" } }, { status: 500 });
    },
  });
  if (options.handleSignals ?? true) installGracefulShutdown(server, options);
  return server;
}

function badRequest(message: string): Response {
  return Response.json({ error: { code: "bad_request", message } }, { status: 400 });
}

function installGracefulShutdown(server: Server<undefined>, options: ServeOptions): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.log?.(`${signal} received, finishing in-flight requests`);
    options.onDraining?.();
    // stop(false) refuses new connections and resolves once open requests have completed; a request
    // that outlives the deadline (a hung backend call) is cut, so an orchestrator's kill never has to.
    const drained = server.stop(false).then(() => true);
    const deadline = Bun.sleep(options.drainTimeoutMs ?? 25_000).then(() => false);
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
