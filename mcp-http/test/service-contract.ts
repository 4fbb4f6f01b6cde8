/**
 * Test support for the backend services. The HTTP contract every service keeps is one parametrised
 * suite (`/health`, bearer auth, the design's curl-shaped requests answered as plain JSON, event streams
 * for clients that ask for them), which each service's test file runs against its own MCP server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Server as McpLowLevelServer } from "@modelcontextprotocol/sdk/server/index.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Server } from "bun";
import { serve } from "../src/serve.ts";
import { createServiceApp } from "../src/service-app.ts";
import { rawRequest } from "./raw-http.ts";

export interface ServiceContract {
  serviceName: string;
  createServer: () => McpServer | McpLowLevelServer;
  /** A tool call that succeeds, and the `id` its structured content must have. */
  sampleCall: { tool: string; arguments: Record<string, unknown>; resultId: string };
}

const TOKEN = "contract-test-token";

export function describeServiceHttpContract({ serviceName, createServer, sampleCall }: ServiceContract): void {
  describe(`${serviceName} HTTP contract`, () => {
    let server: Server<undefined>;
    let baseUrl: string;

    beforeAll(() => {
      const app = createServiceApp({ serviceName, bearerToken: TOKEN, createServer });
      server = serve(app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });
      baseUrl = `http://127.0.0.1:${server.port}`;
    });
    afterAll(async () => {
      await server.stop(true);
    });

    /** One JSON-RPC POST shaped like the design's curl: no Accept header and no initialize first. */
    const postRpc = (body: object, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
      fetch(`${baseUrl}/mcp`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });

    test("/health names the service", async () => {
      const response = await fetch(`${baseUrl}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ok", service: serviceName });
    });

    test.each(["a@b", "a b", "[::1", "a%b"])("Host %p gets 400 as JSON, on every route", async (host) => {
      for (const path of ["/health", "/mcp"]) {
        const response = await rawRequest(
          server.port ?? 0,
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        expect(response.status).toBe(400);
        expect(JSON.parse(response.body)).toMatchObject({ error: { code: "bad_request" } });
      }
    });

    test.each([
      ["no token", {}],
      ["a wrong token", { Authorization: "Bearer not-the-token" }],
      ["the token with a prefix", { Authorization: `Bearer x${TOKEN}` }],
    ])("%s gives 401 with a Bearer challenge and a JSON-RPC error", async (_, headers) => {
      const response = await postRpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
      const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string } };
      expect(body.jsonrpc).toBe("2.0");
      expect(body.error.message).toContain("Unauthorized");
    });

    test("a curl-shaped tools/list gets a plain JSON answer", async () => {
      const response = await postRpc({ jsonrpc: "2.0", id: 1, method: "tools/list" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith("application/json");
      const body = (await response.json()) as { id: number; result: { tools: { name: string }[] } };
      expect(body.id).toBe(1);
      expect(body.result.tools.map((t) => t.name)).toContain(sampleCall.tool);
    });

    test("a curl-shaped tools/call gets a plain JSON answer", async () => {
      const params = { name: sampleCall.tool, arguments: sampleCall.arguments };
      const response = await postRpc({ jsonrpc: "2.0", id: 2, method: "tools/call", params });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith("application/json");
      const body = (await response.json()) as { id: number; result: { structuredContent: { id: string } } };
      expect(body.id).toBe(2);
      expect(body.result.structuredContent.id).toBe(sampleCall.resultId);
    });

    test("a client that accepts an event stream gets one", async () => {
      const response = await postRpc(
        { jsonrpc: "2.0", id: 3, method: "tools/list" },
        { Authorization: `Bearer ${TOKEN}`, Accept: "application/json, text/event-stream" },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith("text/event-stream");
      expect(await response.text()).toContain(`"${sampleCall.tool}"`);
    });
  });
}

export interface ServiceUnderTest {
  /** An SDK client connected to the service's /mcp with a valid token. */
  client: Client;
  stop(): Promise<void>;
}

/** Serves a backend on a free port and connects an SDK client to it, for a service's own tests. */
export async function startServiceForTest(
  serviceName: string,
  createServer: ServiceContract["createServer"],
): Promise<ServiceUnderTest> {
  const app = createServiceApp({ serviceName, bearerToken: TOKEN, createServer });
  const server = serve(app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  const client = new Client({ name: `${serviceName}-test`, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${server.port}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return {
    client,
    async stop() {
      await client.close();
      await server.stop(true);
    },
  };
}
