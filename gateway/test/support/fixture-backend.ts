/**
 * An MCP service built inside a test and served in-process the way our backends are served
 * (`createServiceApp` + `serve`), for behaviour the real backends do not have: slow or dying tools, odd
 * health routes. It can be stopped like a crash (open connections are cut) and started again on its port.
 */
import { createServiceApp, serve } from "@mcp-federation/mcp-http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Server } from "bun";
import { TEST_BEARER } from "./gateway-harness.ts";
import { serveOnLegacySdk } from "./legacy-sdk-endpoint.ts";

export interface FixtureBackend {
  /** Base URL as it is registered, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Paths of the requests received, in order. */
  paths: string[];
  /** Cuts open connections and stops listening. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): void;
}

export interface FixtureOptions {
  /**
   * Answers a request instead of the service when it returns (or resolves to) a response, e.g. a failing
   * /health; else the service answers, once it has resolved (so it can also hold a request back).
   */
  intercept?: (request: Request) => Response | undefined | Promise<Response | undefined>;
}

export function startFixtureBackend(createServer: () => McpServer, options: FixtureOptions = {}): FixtureBackend {
  const app = createServiceApp({
    serviceName: "fixture-service",
    bearerToken: TEST_BEARER,
    mcp: (request) => serveOnLegacySdk(request, createServer),
  });
  const paths: string[] = [];
  const handle = async (request: Request, server: Server<undefined>) => {
    paths.push(new URL(request.url).pathname);
    return (await options.intercept?.(request)) ?? app.fetch(request, server);
  };
  let server: Server<undefined> | undefined = serve(handle, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  const port = server.port;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    async stop() {
      await server?.stop(true);
      server = undefined;
    },
    start() {
      server ??= serve(handle, { port: Number(port), hostname: "127.0.0.1", handleSignals: false });
    },
  };
}
