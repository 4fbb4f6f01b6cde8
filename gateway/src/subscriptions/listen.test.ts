/**
 * `subscriptions/listen` for 2026-07-28 clients across replicas: a stream held by replica a hears of a
 * registration made through replica b (on Redis when REDIS_URL is set, else in-process), only of the
 * lists its caller's view has, and ends when the replica drains.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";

let pair: ReplicaPair;
const backends: FixtureBackend[] = [];

beforeAll(async () => {
  pair = await startReplicaPair();
});
afterAll(async () => {
  await pair?.stop();
  await Promise.all(backends.map((b) => b.stop()));
});

function backendWith(tool: string, prompt?: string): FixtureBackend {
  const backend = startFixtureBackend(() => {
    const server = new McpServer({ name: "fixture", version: "1.0.0" });
    server.registerTool(tool, { description: `the ${tool} tool` }, () => ({ content: [{ type: "text", text: tool }] }));
    if (prompt) server.registerPrompt(prompt, { description: "a prompt" }, () => ({ messages: [] }));
    return server;
  });
  backends.push(backend);
  return backend;
}

async function register(name: string, backend: FixtureBackend) {
  const response = await pair.b.admin("POST", "/register", { name, url: backend.url });
  expect(response.status).toBe(201);
}

/** A v2 client pinned to 2026-07-28 on `path` of `baseUrl`, counting the change notifications it gets. */
async function modernClient(baseUrl: string, path = "/mcp") {
  const client = new Client(
    { name: "listen-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  const heard: string[] = [];
  for (const method of [
    "notifications/tools/list_changed",
    "notifications/prompts/list_changed",
    "notifications/resources/list_changed",
  ] as const)
    client.setNotificationHandler(method, () => void heard.push(method));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}${path}`), {
      requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
    }),
  );
  return { client, heard };
}

const ALL_LISTS = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };

describe("subscriptions/listen across replicas", () => {
  test("a stream on replica a hears of a tool registered through replica b, and the list has it", async () => {
    const { client, heard } = await modernClient(pair.a.url);
    try {
      expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
      const subscription = await client.listen({ toolsListChanged: true });
      expect(subscription.honoredFilter).toEqual({ toolsListChanged: true });

      await register("first", backendWith("first_tool"));
      await eventually(() => heard.length > 0);
      expect(heard).toEqual(["notifications/tools/list_changed"]);
      // Told once replica a can answer with the new list.
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("first_tool");
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  test("a stream hears only of the lists that changed in its caller's view", async () => {
    await register("seen", backendWith("seen_tool"));
    const created = await pair.b.admin("POST", "/virtual-servers", { name: "narrow", services: ["seen", "later"] });
    expect(created.status).toBe(201);
    await eventually(() => pair.a.gateway.catalog.snapshot().virtualServers.some((s) => s.name === "narrow"));

    const narrow = await modernClient(pair.a.url, "/servers/narrow/mcp");
    const whole = await modernClient(pair.a.url);
    try {
      await narrow.client.listen(ALL_LISTS);
      await whole.client.listen(ALL_LISTS);
      // Outside the virtual server: the whole endpoint's stream hears of it, the narrow one does not.
      await register("outside", backendWith("outside_tool"));
      await eventually(() => whole.heard.length === 1);
      // Inside it, with a prompt as well: the narrow stream hears of both lists, and this first.
      await register("later", backendWith("later_tool", "later_prompt"));
      await eventually(() => narrow.heard.length === 2);
      expect(narrow.heard.sort()).toEqual(["notifications/prompts/list_changed", "notifications/tools/list_changed"]);
      await eventually(() => whole.heard.length === 3);
    } finally {
      await Promise.all([narrow.client.close(), whole.client.close()]);
    }
  });

  // Last: replica a drains.
  test("a closed stream is let go, and open ones end when their replica drains", async () => {
    const { client } = await modernClient(pair.a.url);
    try {
      const { listen } = pair.a.gateway;
      const open = await client.listen({ toolsListChanged: true });
      const closed = await client.listen({ toolsListChanged: true });
      await eventually(() => listen.size === 2);
      await closed.close();
      await eventually(() => listen.size === 1);
      pair.a.gateway.endStreams();
      expect(await open.closed).toBe("remote");
      expect(listen.size).toBe(0);
    } finally {
      await client.close();
    }
  });
});
