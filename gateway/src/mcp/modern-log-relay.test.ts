/**
 * Backends' log messages during a 2026-07-28 client's tool call: a client that names a level in the
 * call's `_meta` gets the messages of that level and above on the call's stream, from a 2026-07-28
 * backend (told the level with the call) and from a 2025 backend (which sends everything, filtered at
 * the gateway); a client that names none gets none.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, LOG_LEVEL_META_KEY, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { McpServer as LegacyMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createMcpHandler, type LoggingLevel, McpServer } from "@modelcontextprotocol/server";
import type { Server } from "bun";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import {
  type StatefulFixtureBackend,
  startStatefulFixtureBackend,
} from "../../test/support/stateful-fixture-backend.ts";

const LEVELS: LoggingLevel[] = ["debug", "info", "warning", "error"];

/** A 2026-07-28 backend whose tool logs once at each level; the SDK sends only what the request asked for. */
function modernChatter(): McpServer {
  const server = new McpServer({ name: "modern-chatter", version: "1.0.0" }, { capabilities: { logging: {} } });
  server.registerTool("chatModern", { description: "Logs at four levels" }, async (ctx) => {
    for (const level of LEVELS) await ctx.mcpReq.log(level, `modern ${level}`);
    return { content: [{ type: "text", text: "done" }] };
  });
  return server;
}

/** A 2025 backend whose tool logs once at each level on the call's stream, whatever level was set. */
function legacyChatter(): LegacyMcpServer {
  const server = new LegacyMcpServer({ name: "legacy-chatter", version: "1.0.0" }, { capabilities: { logging: {} } });
  server.registerTool("chatLegacy", { description: "Logs at four levels" }, async (extra) => {
    for (const level of LEVELS)
      await extra.sendNotification({ method: "notifications/message", params: { level, data: `legacy ${level}` } });
    return { content: [{ type: "text", text: "done" }] };
  });
  return server;
}

let replicas: ReplicaPair;
let modernBackend: Server<undefined>;
let legacyBackend: StatefulFixtureBackend;

beforeAll(async () => {
  const handler = createMcpHandler(modernChatter, { legacy: "reject" });
  modernBackend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => handler.fetch(request) });
  legacyBackend = startStatefulFixtureBackend(legacyChatter);
  replicas = await startReplicaPair({
    register: {
      "modern-chatter": `http://127.0.0.1:${modernBackend.port}/mcp`,
      "legacy-chatter": legacyBackend.url,
    },
  });
});
afterAll(async () => {
  await replicas?.stop();
  await modernBackend?.stop(true);
  await legacyBackend?.stop();
});

/** A v2 client pinned to 2026-07-28, and the log messages it receives. */
async function pinnedClient(): Promise<{ client: Client; logs: string[] }> {
  const client = new Client(
    { name: "log-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  const logs: string[] = [];
  client.setNotificationHandler("notifications/message", (notification) => {
    logs.push(String(notification.params.data));
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${replicas.a.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
    }),
  );
  return { client, logs };
}

describe("log messages during a 2026-07-28 client's call", () => {
  test("reach the client at the level it asked for, from backends of either revision", async () => {
    const { client, logs } = await pinnedClient();
    try {
      for (const name of ["chatModern", "chatLegacy"])
        await client.callTool({ name, arguments: {}, _meta: { [LOG_LEVEL_META_KEY]: "warning" } });
    } finally {
      await client.close();
    }
    expect(logs).toEqual(["modern warning", "modern error", "legacy warning", "legacy error"]);
  });

  test("do not reach a client that asked for none", async () => {
    const { client, logs } = await pinnedClient();
    try {
      for (const name of ["chatModern", "chatLegacy"]) await client.callTool({ name, arguments: {} });
    } finally {
      await client.close();
    }
    expect(logs).toEqual([]);
  });
});
