/**
 * The outermost middleware: gives every request an id (the client's, when acceptable), serves the
 * request inside that id's context, and afterwards writes one access line and the HTTP metrics.
 * Nothing of the request's headers or body is logged, so credentials never reach the logs.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../logger.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { REQUEST_ID_HEADER, type RequestContext, requestIdFrom } from "./request-context.ts";

/** The route label of requests no route matched, so that probing random paths adds no series. */
const UNMATCHED_ROUTE = "(unmatched)";

export interface RequestLoggingDeps {
  log: Logger;
  context: RequestContext;
  metrics: Pick<GatewayMetrics, "httpRequest">;
  /** Routes polled by machines (health checks, scrapers): their access lines are written at debug. */
  quietRoutes?: readonly string[];
}

export function requestLogging(deps: RequestLoggingDeps): MiddlewareHandler {
  const record = createRecord(deps);
  return async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    const ownIndex = c.req.routeIndex;
    const started = performance.now();
    await deps.context.run(requestId, next);
    const durationMs = performance.now() - started;
    // Hono leaves routeIndex on the last handler that ran; still ours means only the not-found handler answered.
    const route = c.req.routeIndex === ownIndex ? UNMATCHED_ROUTE : routePath(c);
    c.header(REQUEST_ID_HEADER, requestId);
    record(requestId, c.req.method, route, c.req.path, c.res.status, durationMs);
  };
}

/**
 * The same for a route served without Hono (app.ts's direct `/mcp` lane), where `route` is also the
 * path: `serve` runs inside the request id's context and must answer errors itself.
 */
export function createRequestLog(
  deps: RequestLoggingDeps,
): (request: Request, route: string, serve: () => Promise<Response>) => Promise<Response> {
  const record = createRecord(deps);
  return async (request, route, serve) => {
    const requestId = requestIdFrom(request.headers.get(REQUEST_ID_HEADER) ?? undefined);
    const started = performance.now();
    let response = await deps.context.run(requestId, serve);
    const durationMs = performance.now() - started;
    try {
      response.headers.set(REQUEST_ID_HEADER, requestId);
    } catch {
      // Headers of a response passed on from elsewhere may be immutable: a copy takes the header.
      response = new Response(response.body, response);
      response.headers.set(REQUEST_ID_HEADER, requestId);
    }
    record(requestId, request.method, route, route, response.status, durationMs);
    return response;
  };
}

/** The access line and the HTTP metrics of one answered request. */
function createRecord({ log, metrics, quietRoutes = [] }: RequestLoggingDeps) {
  const quiet = new Set(quietRoutes);
  return (requestId: string, method: string, route: string, path: string, status: number, durationMs: number) => {
    metrics.httpRequest({ method, route, status, durationMs });
    const level = quiet.has(route) ? "debug" : "info";
    log[level]("request", {
      requestId,
      method,
      route,
      path,
      status,
      durationMs: Math.round(durationMs * 10) / 10,
    });
  };
}
