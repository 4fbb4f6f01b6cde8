/**
 * What a stateful backend sends outside any call, on its session's GET stream, as plain SDK servers do
 * it (requests without a related request id, notifications after the call has ended): it reaches the
 * client that made the call on its own GET stream, whichever replica ran the call, and the client's
 * answers get back to the backend. Roots are the client's own, and its roots/list_changed reaches the
 * backends it uses.
 */
import { describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  RootsListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { connectBalancedClient, type Replica, type SeenRequest } from "../../test/support/balanced-client.ts";
import { eventually } from "../../test/support/eventually.ts";
import { firstText, type RunningGateway, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";
import { startStatefulFixtureBackend } from "../../test/support/stateful-fixture-backend.ts";

type Ask = "sampling" | "elicitation" | "roots" | "ping" | "notifications" | "nothing";

/** What the backend got back for each request it sent outside a call, by the backend session that sent it. */
const outcomes: { session: string; ask: Ask; answer?: unknown; error?: string }[] = [];
const rootsChanged: string[] = [];
/** What the backend got back for the roots it asked for on initialisation, by backend session. */
const rootsAtStart: { session: string; answer?: unknown; error?: string }[] = [];

/**
 * Its tool `later` answers at once, then (once its session's GET stream is open, as a plain server
 * would have it) sends what it was asked to with no related request id, so it goes on that stream.
 */
function fixtureServer(): McpServer {
  const server = new McpServer({ name: "later-fixture", version: "1.0.0" }, { capabilities: { logging: {} } });
  server.registerResource("thing", "later://thing", {}, async (uri) => ({
    contents: [{ uri: uri.href, text: "a thing" }],
  }));
  // As many servers do: the client's roots are asked for as soon as the session is initialised.
  server.server.oninitialized = () => {
    const session = String(server.server.transport?.sessionId);
    server.server.listRoots().then(
      (answer) => void rootsAtStart.push({ session, answer }),
      (error: Error) => void rootsAtStart.push({ session, error: error.message }),
    );
  };
  server.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
    rootsChanged.push(String(server.server.transport?.sessionId));
  });
  server.registerTool(
    "later",
    { description: "Sends something outside the call.", inputSchema: { ask: z.string() } },
    async ({ ask }, extra) => {
      const session = String(extra.sessionId);
      if (ask === "nothing") return { content: [{ type: "text", text: session }] };
      await eventually(() => pair.backend.seen.streams.includes(session));
      setTimeout(() => void sendLater(server, session, ask as Ask), 0);
      return { content: [{ type: "text", text: session }] };
    },
  );
  return server;
}

async function sendLater(server: McpServer, session: string, ask: Ask): Promise<void> {
  const record = (work: Promise<unknown>) =>
    work.then(
      (answer) => void outcomes.push({ session, ask, answer }),
      (error: Error) => void outcomes.push({ session, ask, error: error.message }),
    );
  if (ask === "sampling") {
    const question = {
      messages: [{ role: "user" as const, content: { type: "text" as const, text: "A colour?" } }],
      maxTokens: 5,
    };
    return record(server.server.createMessage(question));
  }
  if (ask === "elicitation") {
    const schema = { type: "object" as const, properties: { name: { type: "string" as const } } };
    return record(server.server.elicitInput({ message: "Your name?", requestedSchema: schema }));
  }
  if (ask === "roots") return record(server.server.listRoots());
  if (ask === "ping") return record(server.server.ping());
  if (ask === "nothing") return;
  await server.server.sendLoggingMessage({ level: "info", data: `after the call of ${session}` });
  await server.server.sendResourceUpdated({ uri: "later://thing" });
  outcomes.push({ session, ask });
}

const pair = replicaPairServing("later", () => startStatefulFixtureBackend(fixtureServer));

const ROOTS = [{ uri: "file:///home/ada/project", name: "project" }];

/** A client over both replicas, its GET stream on `a`, answering what it declares; resolves once that stream is open. */
async function balancedClient(capabilities: ClientCapabilities) {
  const { client, seen, transport } = await connectBalancedClient({ a: pair.a.url, b: pair.b.url }, "a", capabilities);
  if (capabilities.sampling)
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: "assistant",
      content: { type: "text", text: "blue" },
      model: "test-model",
    }));
  if (capabilities.elicitation)
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { name: "Ada" } }));
  if (capabilities.roots) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: ROOTS }));
  await eventually(() => seen.some((s) => s.method === "GET" && s.status === 200));
  return { client, seen, transport };
}

/** Calls `later` until it has run on both replicas; the backend sessions it ran in, with the replica of each. */
async function callOnBoth(
  client: Client,
  seen: SeenRequest[],
  ask: Ask,
  options?: RequestOptions,
): Promise<Map<Replica, string>> {
  const sessions = new Map<Replica, string>();
  while (sessions.size < 2) {
    const before = seen.length;
    const result = await client.callTool({ name: "later", arguments: { ask } }, undefined, options);
    expect(result.isError).toBeFalsy();
    const replica = seen.slice(before).find((s) => s.rpc === "tools/call")?.replica;
    if (replica) sessions.set(replica, firstText(result));
  }
  return sessions;
}

const answered = (session: string, ask: Ask) => outcomes.find((o) => o.session === session && o.ask === ask);

describe("requests from a backend outside a call", () => {
  test.each([
    ["sampling", { sampling: {} }, { role: "assistant", content: { type: "text", text: "blue" }, model: "test-model" }],
    ["elicitation", { elicitation: {} }, { action: "accept", content: { name: "Ada" } }],
    ["roots", { roots: {} }, { roots: ROOTS }],
  ] as const)(
    "%s: reaches the client on its GET stream whichever replica ran the call, and its answer the backend",
    async (ask, capabilities, expected) => {
      const { client, seen } = await balancedClient(capabilities);
      try {
        const sessions = await callOnBoth(client, seen, ask);
        // Each replica opened a backend session of the client's own, and read its event stream.
        expect(sessions.get("a")).not.toBe(sessions.get("b"));
        for (const session of sessions.values()) {
          await eventually(() => answered(session, ask) !== undefined);
          expect(answered(session, ask)).toEqual({ session, ask, answer: expected });
        }
      } finally {
        await client.close();
      }
    },
  );

  test("calls that take the SDK path (with a progress token) go in the client's backend sessions too", async () => {
    const { client, seen } = await balancedClient({ sampling: {} });
    try {
      const sessions = await callOnBoth(client, seen, "sampling", { onprogress: () => {} });
      for (const session of sessions.values()) {
        await eventually(() => answered(session, "sampling") !== undefined);
        expect(answered(session, "sampling")?.answer).toMatchObject({ content: { text: "blue" } });
      }
    } finally {
      await client.close();
    }
  });

  test("a ping is answered by the gateway, whose session it is", async () => {
    const { client, seen } = await balancedClient({});
    try {
      for (const session of (await callOnBoth(client, seen, "ping")).values()) {
        await eventually(() => answered(session, "ping") !== undefined);
        expect(answered(session, "ping")).toEqual({ session, ask: "ping", answer: {} });
      }
    } finally {
      await client.close();
    }
  });

  test("roots asked for as soon as the backend session is initialised are answered by the client", async () => {
    const { client, seen } = await balancedClient({ roots: {} });
    try {
      for (const session of (await callOnBoth(client, seen, "nothing")).values()) {
        await eventually(() => rootsAtStart.some((r) => r.session === session));
        expect(rootsAtStart.find((r) => r.session === session)).toEqual({ session, answer: { roots: ROOTS } });
      }
    } finally {
      await client.close();
    }
  });

  test("a client that did not declare roots is not asked, and the backend gets an error naming the capability", async () => {
    const { client, seen } = await balancedClient({ sampling: {} });
    try {
      const sessions = await callOnBoth(client, seen, "roots");
      for (const session of sessions.values()) {
        await eventually(() => answered(session, "roots") !== undefined);
        expect(answered(session, "roots")?.error).toContain('the client did not declare the "roots" capability');
      }
    } finally {
      await client.close();
    }
  });

  test("a client with no GET stream open is refused at once rather than left waiting", async () => {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${TEST_BEARER}`,
    };
    const init = await fetch(`${pair.a.url}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: { sampling: {} },
          clientInfo: { name: "raw", version: "1" },
        },
      }),
    });
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    await init.body?.cancel();
    const call = await fetch(`${pair.b.url}/mcp`, {
      method: "POST",
      headers: { ...headers, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "later", arguments: { ask: "sampling" } },
      }),
    });
    const session = ((await call.json()) as { result: { content: { text: string }[] } }).result.content[0]?.text ?? "";
    await eventually(() => answered(session, "sampling") !== undefined);
    expect(answered(session, "sampling")?.error).toContain("it has no GET stream open");
  });
});

describe("notifications from a backend outside a call", () => {
  test("log messages and resource updates sent after the call reach the client's GET stream", async () => {
    const { client, seen } = await balancedClient({});
    const logs: unknown[] = [];
    const updates: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    try {
      const sessions = await callOnBoth(client, seen, "notifications");
      for (const session of sessions.values()) await eventually(() => logs.includes(`after the call of ${session}`));
      await eventually(() => updates.length >= 2);
      expect(updates).toEqual(["later://thing", "later://thing"]);
    } finally {
      await client.close();
    }
  });
});

describe("the client's roots/list_changed", () => {
  test("reaches every backend session of the client, on both replicas, and no other", async () => {
    const { client, seen } = await balancedClient({ roots: { listChanged: true } });
    const other = await balancedClient({ roots: { listChanged: true } });
    try {
      const sessions = await callOnBoth(client, seen, "nothing");
      const others = await callOnBoth(other.client, other.seen, "nothing");
      await client.sendRootsListChanged();
      for (const session of sessions.values()) await eventually(() => rootsChanged.includes(session));
      for (const session of others.values()) expect(rootsChanged).not.toContain(session);
    } finally {
      await Promise.all([client.close(), other.client.close()]);
    }
  });
});

describe("clients without a session", () => {
  test("share the backend's session, as before", async () => {
    const call = async (gateway: RunningGateway, id: number) => {
      const response = await fetch(`${gateway.url}/mcp`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          Authorization: `Bearer ${TEST_BEARER}`,
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "later", arguments: { ask: "nothing" } },
        }),
      });
      return ((await response.json()) as { result: { content: { text: string }[] } }).result.content[0]?.text;
    };
    const first = await call(pair.a, 1);
    expect(await call(pair.a, 2)).toBe(first);
  });
});
