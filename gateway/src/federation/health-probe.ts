/**
 * One health check of a backend: `GET /health` for a service registered by its base URL (what our
 * services and most HTTP services answer), an MCP ping otherwise or when the service has no such route
 * (and always for a stdio backend).
 */

import { withinTime } from "../within-time.ts";
import { healthEndpoint } from "./backend-endpoint.ts";
import type { BackendTarget } from "./mcp-connection.ts";

/** Statuses that mean "no health route here", not "unhealthy". */
const NO_HEALTH_ROUTE = new Set([404, 405]);

const timeoutError = (ms: number) => new Error(`health check got no answer within ${ms} ms`);

/** Resolves when the backend is healthy; rejects with the reason otherwise. Each request gets `timeoutMs`. */
export async function probeHealth(target: BackendTarget, timeoutMs: number, ping: () => Promise<void>): Promise<void> {
  // A stdio backend is healthy when its process runs and answers a ping; the ping finds out both.
  const url = "stdio" in target ? undefined : healthEndpoint(target.url);
  if (url && "headers" in target) {
    // Never followed: the URL policy vetted the backend's address, not wherever it points us next.
    const response = await fetch(url, {
      headers: target.headers,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((error: unknown) => {
      throw (error as Error)?.name === "TimeoutError" ? timeoutError(timeoutMs) : error;
    });
    await response.body?.cancel();
    if (response.ok) return;
    if (response.status >= 300 && response.status < 400)
      throw new Error(`health check answered HTTP ${response.status} (redirects are not followed)`);
    if (!NO_HEALTH_ROUTE.has(response.status)) throw new Error(`health check answered HTTP ${response.status}`);
  }
  await withinTime(ping(), timeoutMs, () => timeoutError(timeoutMs));
}
