import { Hono } from "hono";
import { z } from "zod";
import { bearerAuth } from "./bearer-auth.ts";

export interface ServiceAppDeps {
  /** Reported by `/health`, e.g. `shopping-service`. */
  serviceName: string;
  bearerToken: string;
  /** Answers an authenticated /mcp request: `createMcpEndpoint(factory)` for the services. */
  mcp: (request: Request) => Promise<Response>;
}

/** The HTTP face of a backend MCP service: `GET /health` and the bearer-protected `/mcp`. */
export function createServiceApp({ serviceName, bearerToken, mcp }: ServiceAppDeps): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok", service: serviceName }));
  app.use("/mcp", bearerAuth(bearerToken));
  app.all("/mcp", (c) => mcp(c.req.raw));
  return app;
}

export interface ServiceConfig {
  port: number;
  bearerToken: string;
  /** After SIGTERM, how long /ready answers 503 while requests are still served (see `serve`). */
  drainGraceMs: number;
  bodyReadTimeoutMs: number;
}

/** Parses a backend's environment once; prints the field errors and exits when it is invalid. */
export function loadServiceConfig(
  defaultPort: number,
  env: Record<string, string | undefined> = process.env,
): ServiceConfig {
  const schema = z.object({
    PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
    MCP_BEARER_TOKEN: z.string().min(1).default("mcp-token-123"),
    DRAIN_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
    BODY_READ_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  });
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    console.error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
    process.exit(1);
  }
  return {
    port: parsed.data.PORT,
    bearerToken: parsed.data.MCP_BEARER_TOKEN,
    drainGraceMs: parsed.data.DRAIN_GRACE_MS,
    bodyReadTimeoutMs: parsed.data.BODY_READ_TIMEOUT_MS,
  };
}
