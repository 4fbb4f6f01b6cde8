import { Hono } from "hono";
import type { Registry } from "prom-client";

/**
 * `GET /metrics` in Prometheus text format. Open like `/health`, as scrapers expect: it shows counts,
 * timings, service and tool names, never a credential.
 */
export function createMetricsRoutes(registry: Registry): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType }));
  return app;
}
