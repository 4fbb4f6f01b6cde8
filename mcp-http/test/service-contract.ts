/**
 * Test support for the backend services. The HTTP contract every service keeps is one parametrised
 * suite (`/health`, bearer auth, the design's curl-shaped requests answered as plain JSON, event streams
 * for clients that ask for them, both protocol revisions from one /mcp), which each service's test file
 * runs against its own MCP server; `startServiceForTest` connects each kind of client the services serve.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { McpServerFactory } from "@modelcontextprotocol/server";
import type { Server } from "bun";
import { createMcpEndpoint } from "../src/mcp-endpoint.ts";
import { serve } from "../src/serve.ts";
import { createServiceApp } from "../src/service-app.ts";
import { rawRequest } from "./raw-http.ts";

export interface ServiceContract {
  serviceName: string;
  createServer: McpServerFactory;
  /** A tool call that succeeds, and the `id` its structured content must have. */
  sampleCall: { tool: string; arguments: Record<string, unknown>; resultId: string };
}

const TOKEN = "contract-test-token";

/** The per-request `_meta` a 2026-07-28 request carries, and the headers that must agree with it. */
const MODERN_ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "contract-test", version: "1.0.0" },
};
const MODERN_HEADERS = {
  Authorization: `Bearer ${TOKEN}`,
  Accept: "application/json, text/event-stream",
  "MCP-Protocol-Version": "2026-07-28",
};

export function describeServiceHttpContract({ serviceName, createServer, sampleCall }: ServiceContract): void {
  describe(`${serviceName} HTTP contract`, () => {
    let server: Server<undefined>;
    let baseUrl: string;

    beforeAll(() => {
      server = serveForTest(serviceName, createServer);
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

    test("the design's curl example, run with curl, gets a plain JSON answer", async () => {
      const params = { name: sampleCall.tool, arguments: sampleCall.arguments };
      const curl = Bun.spawn(
        [
          "curl",
          "-s",
          "-X",
          "POST",
          `${baseUrl}/mcp`,
          "-H",
          `Authorization: Bearer ${TOKEN}`,
          "-H",
          "Content-Type: application/json",
          "-d",
          JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params }),
        ],
        { stdout: "pipe" },
      );
      const body = JSON.parse(await new Response(curl.stdout).text());
      expect(body).toMatchObject({ id: 1, result: { structuredContent: { id: sampleCall.resultId } } });
    });

    test("a 2026-07-28 server/discover names the revision and the service", async () => {
      const response = await postRpc(
        { jsonrpc: "2.0", id: 4, method: "server/discover", params: { _meta: MODERN_ENVELOPE } },
        { ...MODERN_HEADERS, "Mcp-Method": "server/discover" },
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        result: { supportedVersions: string[]; _meta: Record<string, { name: string }> };
      };
      expect(body.result.supportedVersions).toContain("2026-07-28");
      expect(body.result._meta["io.modelcontextprotocol/serverInfo"]?.name).toBe(serviceName);
    });

    test("a 2026-07-28 request whose Mcp-Method header disagrees with its body is refused", async () => {
      const params = { name: sampleCall.tool, arguments: sampleCall.arguments, _meta: MODERN_ENVELOPE };
      const response = await postRpc(
        { jsonrpc: "2.0", id: 5, method: "tools/call", params },
        { ...MODERN_HEADERS, "Mcp-Method": "tools/list" },
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ id: 5, error: { code: -32020 } });
    });

    test.each(CLIENT_KINDS)("a %s client lands on its protocol revision", async (kind) => {
      const service = await startServiceForTest(serviceName, createServer, kind);
      try {
        expect(service.protocolVersion).toBe(
          kind.startsWith("v2-") && kind !== "v2-legacy" ? "2026-07-28" : "2025-11-25",
        );
        const result = await service.client.callTool({ name: sampleCall.tool, arguments: sampleCall.arguments });
        expect(result.structuredContent).toMatchObject({ id: sampleCall.resultId });
      } finally {
        await service.stop();
      }
    });

    test.each(["GET", "DELETE"])(
      "%s /mcp is answered 405: stateless serving has no stream or session",
      async (method) => {
        const response = await fetch(`${baseUrl}/mcp`, {
          method,
          headers: { Authorization: `Bearer ${TOKEN}`, Accept: "text/event-stream" },
        });
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe("POST");
      },
    );

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

/**
 * The clients a service must serve from one /mcp: the 1.x SDK (2025-11-25), and the v2 SDK in each of
 * its negotiation modes. `legacy` is v2's default (the 2025 initialize handshake), `auto` probes with
 * server/discover and so lands on 2026-07-28 here, and a pin accepts nothing else.
 */
export const CLIENT_KINDS = ["sdk-1.x", "v2-legacy", "v2-auto", "v2-pinned-2026-07-28"] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** What a service's tests ask of a client; both SDKs' clients offer it. */
export interface ToolClient {
  listTools(): Promise<{ tools: ListedTool[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

interface ListedTool {
  name: string;
  inputSchema: { properties?: Record<string, unknown> };
  outputSchema?: Record<string, unknown>;
}

export interface ServiceUnderTest {
  /** A client of the given kind connected to the service's /mcp with a valid token. */
  client: ToolClient;
  /** The protocol revision the client landed on. */
  protocolVersion: string | undefined;
  stop(): Promise<void>;
}

/** Serves a backend on a free port and connects a client of `kind` to it, for a service's own tests. */
export async function startServiceForTest(
  serviceName: string,
  createServer: McpServerFactory,
  kind: ClientKind,
): Promise<ServiceUnderTest> {
  const server = serveForTest(serviceName, createServer);
  const url = new URL(`http://127.0.0.1:${server.port}/mcp`);
  const requestInit = { headers: { Authorization: `Bearer ${TOKEN}` } };
  const name = `${serviceName}-test`;
  const stopAll = async (client: ToolClient) => {
    await client.close();
    await server.stop(true);
  };
  if (kind === "sdk-1.x") {
    const client = new V1Client({ name, version: "1.0.0" });
    const transport = new V1Transport(url, { requestInit });
    await client.connect(transport);
    return { client, protocolVersion: transport.protocolVersion, stop: () => stopAll(client) };
  }
  const mode = kind === "v2-legacy" ? "legacy" : kind === "v2-auto" ? "auto" : { pin: "2026-07-28" };
  const client = new Client({ name, version: "1.0.0" }, { versionNegotiation: { mode } });
  const transport = new StreamableHTTPClientTransport(url, { requestInit });
  await client.connect(transport);
  return { client, protocolVersion: transport.protocolVersion, stop: () => stopAll(client) };
}

function serveForTest(serviceName: string, createServer: McpServerFactory): Server<undefined> {
  const app = createServiceApp({ serviceName, bearerToken: TOKEN, mcp: createMcpEndpoint(createServer) });
  return serve(app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });
}
