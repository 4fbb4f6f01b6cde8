/**
 * Backends' log messages during a tool call, a resource read and a prompt get. A 2026-07-28 client that
 * names a level in the request's `_meta` gets the messages of that level and above on the request's
 * stream, from a 2026-07-28 backend (told the level with the request) and from a 2025 backend (which
 * sends everything, filtered at the gateway); a client that names none gets none. A 2025 client gets
 * what a 2025 backend sends.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, LOG_LEVEL_META_KEY, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer as LegacyMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  createMcpHandler,
  type LoggingLevel,
  type LoggingMessageNotification,
  McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { Server } from "bun";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import {
  type StatefulFixtureBackend,
  startStatefulFixtureBackend,
} from "../../test/support/stateful-fixture-backend.ts";

const LEVELS: LoggingLevel[] = ["debug", "info", "warning", "error"];

/**
 * A 2026-07-28 backend whose tool, resource and prompt each log once at each level; the SDK sends only
 * what the request asked for.
 */
function modernChatter(): McpServer {
  const server = new McpServer({ name: "modern-chatter", version: "1.0.0" }, { capabilities: { logging: {} } });
  const chat = async (ctx: ServerContext) => {
    for (const level of LEVELS) await ctx.mcpReq.log(level, `modern ${level}`);
  };
  server.registerTool("chatModern", { description: "Logs at four levels" }, async (ctx) => {
    await chat(ctx);
    return { content: [{ type: "text", text: "done" }] };
  });
  server.registerResource("chat-modern", "chat://modern", {}, async (uri, ctx) => {
    await chat(ctx);
    return { contents: [{ uri: uri.href, text: "done" }] };
  });
  server.registerPrompt("chatModernPrompt", { description: "Logs at four levels" }, async (ctx) => {
    await chat(ctx);
    return { messages: [{ role: "user", content: { type: "text", text: "done" } }] };
  });
  return server;
}

/** A 2025 backend whose tool, resource and prompt each log once at each level on the request's stream, whatever level was set. */
function legacyChatter(): LegacyMcpServer {
  const server = new LegacyMcpServer({ name: "legacy-chatter", version: "1.0.0" }, { capabilities: { logging: {} } });
  const chat = async (extra: { sendNotification: (n: LoggingMessageNotification) => Promise<void> }) => {
    for (const level of LEVELS)
      await extra.sendNotification({ method: "notifications/message", params: { level, data: `legacy ${level}` } });
  };
  server.registerTool("chatLegacy", { description: "Logs at four levels" }, async (extra) => {
    await chat(extra);
    return { content: [{ type: "text", text: "done" }] };
  });
  server.registerResource("chat-legacy", "chat://legacy", {}, async (uri, extra) => {
    await chat(extra);
    return { contents: [{ uri: uri.href, text: "done" }] };
  });
  server.registerPrompt(
    "chatLegacyPrompt",
    { description: "Logs at four levels", argsSchema: {} },
    async (_, extra) => {
      await chat(extra);
      return { messages: [{ role: "user", content: { type: "text", text: "done" } }] };
    },
  );
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

describe("log messages during a read and a get", () => {
  const atWarning = { _meta: { [LOG_LEVEL_META_KEY]: "warning" } };

  test("reach a 2026-07-28 client at the level it asked for, from backends of either revision", async () => {
    const { client, logs } = await pinnedClient();
    try {
      for (const uri of ["chat://modern", "chat://legacy"]) await client.readResource({ uri, ...atWarning });
      for (const name of ["chatModernPrompt", "chatLegacyPrompt"]) await client.getPrompt({ name, ...atWarning });
    } finally {
      await client.close();
    }
    const both = ["modern warning", "modern error", "legacy warning", "legacy error"];
    expect(logs).toEqual([...both, ...both]);
  });

  test("reach a 2025 client as a 2025 backend sends them", async () => {
    const client = new LegacyClient({ name: "log-test-2025", version: "1.0.0" });
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(String(notification.params.data));
    });
    await client.connect(
      new LegacyTransport(new URL(`${replicas.a.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
      }),
    );
    try {
      await client.readResource({ uri: "chat://legacy" });
      await client.getPrompt({ name: "chatLegacyPrompt" });
    } finally {
      await client.close();
    }
    const all = LEVELS.map((level) => `legacy ${level}`);
    expect(logs).toEqual([...all, ...all]);
  });
});
