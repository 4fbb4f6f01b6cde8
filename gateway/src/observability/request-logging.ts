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

export function requestLogging({ log, context, metrics, quietRoutes = [] }: RequestLoggingDeps): MiddlewareHandler {
  const quiet = new Set(quietRoutes);
  return async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    const ownIndex = c.req.routeIndex;
    const started = performance.now();
    await context.run(requestId, next);
    const durationMs = performance.now() - started;
    // Hono leaves routeIndex on the last handler that ran; still ours means only the not-found handler answered.
    const route = c.req.routeIndex === ownIndex ? UNMATCHED_ROUTE : routePath(c);
    const { method } = c.req;
    const status = c.res.status;
    c.header(REQUEST_ID_HEADER, requestId);
    metrics.httpRequest({ method, route, status, durationMs });
    const level = quiet.has(route) ? "debug" : "info";
    log[level]("request", {
      requestId,
      method,
      route,
      path: c.req.path,
      status,
      durationMs: Math.round(durationMs * 10) / 10,
    });
  };
}
