/**
 * Discovery against backends built in the test: lists are followed across pages, and only what a
 * backend advertises is asked for (an SDK server without a capability answers its lists with "method
 * not found", which would fail the discovery).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListResourcesRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import type { ResourceDefinition } from "../registry/queries.ts";
import { discoverCapabilities } from "./discover-capabilities.ts";

// These tests start servers: a ceiling for hangs on a busy machine, not a speed check.

const started: FixtureBackend[] = [];
afterAll(async () => {
  await Promise.all(started.map((backend) => backend.stop()));
});

function start(createServer: () => McpServer): FixtureBackend {
  const backend = startFixtureBackend(createServer);
  started.push(backend);
  return backend;
}

const discover = (backend: FixtureBackend) =>
  discoverCapabilities(
    { name: "fixture", url: backend.url, headers: { Authorization: `Bearer ${TEST_BEARER}` } },
    5_000,
    { maxItems: 1000, maxBytes: 5 * 1024 * 1024 },
  );

function withOneTool(server: McpServer): McpServer {
  server.registerTool("ping", { description: "Answers pong" }, () => ({ content: [{ type: "text", text: "pong" }] }));
  return server;
}

describe("discoverCapabilities", () => {
  test("asks a tools-only backend for nothing but its tools", async () => {
    const backend = start(() => withOneTool(new McpServer({ name: "tools-only", version: "1.0.0" })));
    const found = await discover(backend);
    expect(found.tools).toMatchObject([{ name: "ping" }]);
    expect(found).toMatchObject({ resources: [], resourceTemplates: [], prompts: [] });
  });

  test("follows nextCursor through every page, keeps each entry's JSON, and takes a missing templates handler for none", async () => {
    const pages: Record<string, { resources: ResourceDefinition[]; nextCursor?: string }> = {
      first: {
        resources: [{ uri: "paged://1", name: "one", _meta: { "vendor.example/x": [1] } }],
        nextCursor: "second",
      },
      second: { resources: [{ uri: "paged://2", name: "two", size: 12 }] },
    };
    const backend = start(() => {
      const server = withOneTool(
        new McpServer({ name: "paged", version: "1.0.0" }, { capabilities: { resources: {} } }),
      );
      server.server.setRequestHandler(
        ListResourcesRequestSchema,
        (request) => pages[request.params?.cursor ?? "first"]!,
      );
      // As a server that advertises resources but has no templates handler answers: "method not found".
      server.server.removeRequestHandler("resources/templates/list");
      return server;
    });
    const found = await discover(backend);
    expect(found.resources).toEqual([...pages.first!.resources, ...pages.second!.resources]);
    expect(found.resourceTemplates).toEqual([]);
    expect(found.prompts).toEqual([]);
  });
});
