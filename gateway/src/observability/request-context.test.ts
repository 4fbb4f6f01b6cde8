import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServiceApp } from "@mcp-federation/mcp-http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Server } from "bun";
import { serveOnLegacySdk } from "../../test/support/legacy-sdk-endpoint.ts";
import { createLogger } from "../logger.ts";
import { createRequestContext, fetchWithRequestId, requestIdFrom, withRequestId } from "./request-context.ts";

describe("requestIdFrom", () => {
  test("keeps an id of word characters, dots and dashes up to 128 long", () => {
    expect(requestIdFrom("abc-123_x.y")).toBe("abc-123_x.y");
    expect(requestIdFrom("a".repeat(128))).toBe("a".repeat(128));
  });

  test("replaces anything else with a fresh id", () => {
    for (const bad of [undefined, "", "a".repeat(129), "two words", "line\nbreak", 'quote"d', "ümlaut", "a/b"]) {
      const id = requestIdFrom(bad);
      expect(id).not.toBe(bad as string);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe("withRequestId", () => {
  test("adds the id of the request being served to every line, children included", async () => {
    const lines: string[] = [];
    const context = createRequestContext();
    const log = withRequestId(createLogger({ level: "debug", json: true, write: (line) => lines.push(line) }), context);

    log.info("outside");
    await context.run("req-1", async () => {
      await Bun.sleep(1);
      log.child({ component: "x" }).warn("inside", { extra: 1 });
    });
    const [outside, inside] = lines.map((line) => JSON.parse(line));
    expect(outside.requestId).toBeUndefined();
    expect(inside).toMatchObject({ msg: "inside", requestId: "req-1", component: "x", extra: 1 });
  });

  test("a line below the level is dropped before its fields are read, and the level is the inner logger's", () => {
    const lines: string[] = [];
    const context = createRequestContext();
    const log = withRequestId(createLogger({ level: "info", json: true, write: (line) => lines.push(line) }), context);
    let reads = 0;
    const fields = {
      get costly() {
        reads++;
        return "value";
      },
    };
    context.run("req-2", () => {
      log.debug("dropped", fields);
      expect(reads).toBe(0);
      log.info("kept", fields);
    });
    expect(reads).toBe(1);
    expect(lines.map((line) => JSON.parse(line))).toEqual([expect.objectContaining({ msg: "kept", costly: "value" })]);
    expect([log.enabled("debug"), log.enabled("info"), log.child({ a: 1 }).enabled("error")]).toEqual([
      false,
      true,
      true,
    ]);
  });

  test("two contexts do not see each other's requests", () => {
    const first = createRequestContext();
    const second = createRequestContext();
    first.run("only-first", () => {
      expect(first.requestId()).toBe("only-first");
      expect(second.requestId()).toBeUndefined();
    });
  });
});

describe("fetchWithRequestId on a real MCP client", () => {
  const TOKEN = "request-context-test-token";
  let backend: Server<undefined>;
  let client: Client;
  const context = createRequestContext();

  // The tool answers with the X-Request-Id of the HTTP request that carried its own call.
  const createServer = () => {
    const server = new McpServer({ name: "echo-request-id", version: "1.0.0" });
    server.registerTool("whoCalls", { description: "Returns the caller's X-Request-Id." }, (extra) => ({
      content: [{ type: "text", text: String(extra.requestInfo?.headers["x-request-id"] ?? "none") }],
    }));
    return server;
  };

  beforeAll(async () => {
    const app = createServiceApp({
      serviceName: "echo",
      bearerToken: TOKEN,
      mcp: (request) => serveOnLegacySdk(request, createServer),
    });
    backend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
    client = new Client({ name: "request-context-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("/mcp", backend.url), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
        fetch: fetchWithRequestId(context),
      }),
    );
  });

  afterAll(async () => {
    await client?.close();
    await backend?.stop(true);
  });

  const whoCalls = async () => {
    const result = await client.callTool({ name: "whoCalls", arguments: {} });
    return (result.content as { text: string }[])[0]!.text;
  };

  test("sends the id of the request being served, and none outside of one", async () => {
    expect(await context.run("gw-req-1", whoCalls)).toBe("gw-req-1");
    expect(await whoCalls()).toBe("none");
  });

  test("concurrent requests on one reused client each send their own id", async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `gw-req-${i}`);
    const seen = await Promise.all(ids.map((id) => context.run(id, whoCalls)));
    expect(seen).toEqual(ids);
  });
});
