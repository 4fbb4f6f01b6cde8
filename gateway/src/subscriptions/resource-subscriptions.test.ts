/**
 * Resource subscriptions through two replicas, with a backend written here on the SDK that sends
 * `notifications/resources/updated` on its own stream when a test says so, long after the subscribe was
 * answered: 2025 sessions whose requests alternate between the replicas, 2026-07-28 listen streams,
 * one backend subscription however many subscribers, and the clean-up when they leave or the backend
 * goes away.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client as ModernClient, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  ResourceUpdatedNotificationSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { connectBalancedClient, type Replica, type SeenRequest } from "../../test/support/balanced-client.ts";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { connectClient, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import {
  type StatefulFixtureBackend,
  startStatefulFixtureBackend,
} from "../../test/support/stateful-fixture-backend.ts";
import { MAX_SUBSCRIPTIONS_PER_CLIENT } from "./resource-updates.ts";

/** The backend's subscriptions, over all its sessions: URI to the sessions' servers that took one. */
const held = new Map<string, Set<McpServer>>();
const calls: string[] = [];
/** While set, the backend refuses subscribes, as one still starting up might. */
const refusing = { subscribes: false };
/** Tools the backend gained after it registered. */
const addedTools: string[] = [];

function notesServer(): McpServer {
  const server = new McpServer(
    { name: "notes", version: "1.0.0" },
    { capabilities: { resources: { subscribe: true } } },
  );
  // The gateway lists every backend's tools.
  server.registerTool("note_count", {}, () => ({ content: [{ type: "text", text: "2" }] }));
  for (const tool of addedTools) server.registerTool(tool, {}, () => ({ content: [] }));
  for (const name of ["alpha", "beta"])
    server.registerResource(name, `note://${name}`, {}, (uri) => ({ contents: [{ uri: uri.href, text: name }] }));
  server.registerResource("any", new ResourceTemplate("note://{name}", { list: undefined }), {}, (uri) => ({
    contents: [{ uri: uri.href, text: "" }],
  }));
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    calls.push(`subscribe ${request.params.uri}`);
    if (refusing.subscribes) throw new Error("not ready yet");
    const servers = held.get(request.params.uri) ?? new Set();
    servers.add(server);
    held.set(request.params.uri, servers);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    calls.push(`unsubscribe ${request.params.uri}`);
    held.get(request.params.uri)?.delete(server);
    return {};
  });
  return server;
}

/** A backend with resources but without subscriptions; with `subscribe`, one that offers them but keeps no sessions. */
function plainServer(subscribe = false): McpServer {
  const server = new McpServer({ name: "plain", version: "1.0.0" }, { capabilities: { resources: { subscribe } } });
  if (subscribe) server.server.setRequestHandler(SubscribeRequestSchema, () => ({}));
  server.registerTool("plain_tool", {}, () => ({ content: [{ type: "text", text: "x" }] }));
  server.registerResource("x", subscribe ? "stateless://x" : "plain://x", {}, (uri) => ({
    contents: [{ uri: uri.href, text: "x" }],
  }));
  return server;
}

/** What the backend does when a note changes: tells every session that subscribed to it, outside any request. */
async function noteChanged(uri: string) {
  const servers = [...(held.get(uri) ?? [])].filter((server) => server.isConnected());
  await Promise.all(servers.map((server) => server.server.sendResourceUpdated({ uri })));
}

const subscribers = (uri: string) => [...(held.get(uri) ?? [])].filter((server) => server.isConnected()).length;

let pair: ReplicaPair;
let notes: StatefulFixtureBackend;
let plain: StatefulFixtureBackend;
let stateless: FixtureBackend;

beforeAll(async () => {
  notes = startStatefulFixtureBackend(notesServer);
  plain = startStatefulFixtureBackend(() => plainServer());
  stateless = startFixtureBackend(() => plainServer(true));
  pair = await startReplicaPair({ register: { notes: notes.url, plain: plain.url, stateless: stateless.url } });
  const onlyPlain = await pair.a.admin("POST", "/virtual-servers", { name: "only-plain", services: ["plain"] });
  expect(onlyPlain.status).toBe(201);
  for (const replica of [pair.a, pair.b])
    await eventually(() => replica.gateway.catalog.snapshot().virtualServers.length === 1);
});
afterAll(async () => {
  await pair?.stop();
  await Promise.all([notes?.stop(), plain?.stop(), stateless?.stop()]);
});

/** A 1.x client whose POSTs alternate between the replicas (or all go to `a`), its GET stream on `streamTo`, with the updates it hears. */
async function sessionClient(streamTo: Replica, replicas: "both" | "a" = "both") {
  const urls = replicas === "both" ? { a: pair.a.url, b: pair.b.url } : { a: pair.a.url, b: pair.a.url };
  const { client, transport, seen } = await connectBalancedClient(urls, streamTo);
  const updates: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
  // Updates travel on the session's GET stream: wait until it is open.
  await eventually(() => seen.some((s) => s.method === "GET" && s.status === 200));
  return { client, transport, seen, updates };
}

async function endSession(client: Client, transport: LegacyTransport) {
  await transport.terminateSession();
  await client.close();
}

const heldByReplicas = () => pair.a.gateway.resourceUpdates.size + pair.b.gateway.resourceUpdates.size;

describe("2025 sessions", () => {
  test("a session alternating replicas gets updates sent after its subscribe, until it unsubscribes", async () => {
    const { client, transport, seen, updates } = await sessionClient("b");
    try {
      expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
      await client.subscribeResource({ uri: "note://alpha" });
      await eventually(() => subscribers("note://alpha") === 1);

      await noteChanged("note://alpha");
      await eventually(() => updates.length === 1);
      expect(updates).toEqual(["note://alpha"]);

      await client.unsubscribeResource({ uri: "note://alpha" });
      const [subscribedOn, unsubscribedOn] = ["resources/subscribe", "resources/unsubscribe"].map(
        (rpc) => seen.find((s: SeenRequest) => s.rpc === rpc)?.replica,
      );
      // The unsubscribe reached the replica that does not hold the subscription, and still ended it.
      expect(unsubscribedOn).not.toBe(subscribedOn);
      await eventually(() => subscribers("note://alpha") === 0 && heldByReplicas() === 0);
    } finally {
      await endSession(client, transport);
    }
  });

  test("two sessions share one backend subscription, let go of when the last session ends", async () => {
    const first = await sessionClient("a", "a");
    const second = await sessionClient("b", "a");
    try {
      const before = calls.length;
      await first.client.subscribeResource({ uri: "note://beta" });
      await second.client.subscribeResource({ uri: "note://beta" });
      expect(calls.slice(before)).toEqual(["subscribe note://beta"]);

      await noteChanged("note://beta");
      // The second session's stream is on the other replica: the update crosses the session bus.
      await eventually(() => first.updates.length === 1 && second.updates.length === 1);

      await endSession(first.client, first.transport);
      expect(subscribers("note://beta")).toBe(1);
      await noteChanged("note://beta");
      await eventually(() => second.updates.length === 2);
      expect(first.updates).toHaveLength(1);

      await endSession(second.client, second.transport);
      await eventually(() => subscribers("note://beta") === 0 && heldByReplicas() === 0);
    } finally {
      await Promise.all([first.client.close(), second.client.close()]);
    }
  });

  test("a backend that restarts is subscribed again, until it takes the subscription, and updates keep coming", async () => {
    const { client, transport, updates } = await sessionClient("b", "a");
    try {
      await client.subscribeResource({ uri: "note://alpha" });
      const subscribes = () => calls.filter((c) => c === "subscribe note://alpha").length;
      const before = subscribes();
      refusing.subscribes = true;
      await notes.closeSessions();
      held.clear();
      await eventually(() => subscribes() === before + 1);
      refusing.subscribes = false;
      await eventually(() => subscribers("note://alpha") === 1);
      await noteChanged("note://alpha");
      await eventually(() => updates.length === 1);
    } finally {
      await endSession(client, transport);
    }
    await eventually(() => heldByReplicas() === 0);
  });

  test("subscribe is offered only where a backend takes it, and refused clearly elsewhere", async () => {
    const { client, transport } = await sessionClient("a");
    try {
      await expect(client.subscribeResource({ uri: "plain://x" })).rejects.toThrow(
        'Service "plain" does not offer subscriptions to its resources',
      );
      await expect(client.subscribeResource({ uri: "other://nowhere" })).rejects.toThrow("Resource not found");
      await expect(client.subscribeResource({ uri: "stateless://x" })).rejects.toThrow(
        'Cannot subscribe to "stateless://x" at service "stateless": the service keeps no sessions',
      );
      expect(heldByReplicas()).toBe(0);
    } finally {
      await endSession(client, transport);
    }
    // Without a session there is no stream for the updates.
    const stateless = await postMcp(`${pair.a.url}/mcp`, TEST_BEARER, {
      jsonrpc: "2.0",
      id: 1,
      method: "resources/subscribe",
      params: { uri: "note://alpha" },
    });
    expect(await stateless.text()).toContain("resources/subscribe needs a session");
    const onlyPlain = await connectClient(`${pair.a.url}/servers/only-plain/mcp`, TEST_BEARER);
    try {
      expect(onlyPlain.getServerCapabilities()?.resources?.subscribe).toBeUndefined();
    } finally {
      await onlyPlain.close();
    }
  });

  test("a session stops hearing of a resource its virtual server no longer has", async () => {
    const path = "/servers/some-notes/mcp";
    const selection = (resources: string[]) => ({ services: [], resources });
    const created = await pair.a.admin("POST", "/virtual-servers", {
      name: "some-notes",
      ...selection(["note://alpha", "note://beta"]),
    });
    expect(created.status).toBe(201);
    await eventually(() => pair.a.gateway.catalog.snapshot().virtualServers.some((s) => s.name === "some-notes"));
    const client = await connectClient(`${pair.a.url}${path}`, TEST_BEARER);
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    try {
      await client.subscribeResource({ uri: "note://alpha" });
      await client.subscribeResource({ uri: "note://beta" });
      expect((await pair.a.admin("PUT", "/virtual-servers/some-notes", selection(["note://beta"]))).status).toBe(200);
      await eventually(() => pair.a.gateway.catalog.snapshot().virtualServers.some((s) => s.resources.length === 1));
      // In this order on the backend's stream: an update of alpha would arrive first.
      await noteChanged("note://alpha");
      await noteChanged("note://beta");
      await eventually(() => updates.length > 0);
      expect(updates).toEqual(["note://beta"]);
    } finally {
      await endSession(client, client.transport as LegacyTransport);
      expect((await pair.a.admin("DELETE", "/virtual-servers/some-notes")).status).toBe(200);
    }
  });

  test("a list change the backend announces on its stream, outside any call, is pulled", async () => {
    const { client, transport } = await sessionClient("a", "a");
    try {
      await client.subscribeResource({ uri: "note://alpha" });
      await eventually(() => subscribers("note://alpha") === 1);
      addedTools.push("note_search");
      await Promise.all([...(held.get("note://alpha") ?? [])].map((server) => server.sendToolListChanged()));
      for (const replica of [pair.a, pair.b])
        await eventually(() => replica.gateway.catalog.snapshot().routes.has("note_search"));
    } finally {
      await endSession(client, transport);
    }
  });

  test("a session holds a bounded number of subscriptions, all let go of when it ends", async () => {
    const { client, transport } = await sessionClient("a", "a");
    try {
      for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CLIENT; i++) await client.subscribeResource({ uri: `note://n${i}` });
      await expect(client.subscribeResource({ uri: "note://one-more" })).rejects.toThrow(
        `A session may hold at most ${MAX_SUBSCRIPTIONS_PER_CLIENT} resource subscriptions`,
      );
      // One already held is no new one.
      await client.subscribeResource({ uri: "note://n0" });
      expect(pair.a.gateway.resourceUpdates.size).toBe(MAX_SUBSCRIPTIONS_PER_CLIENT);
    } finally {
      await endSession(client, transport);
    }
    await eventually(() => heldByReplicas() === 0);
  });
});

describe("2026-07-28 listen streams", () => {
  async function modernClient(baseUrl: string, path = "/mcp") {
    const client = new ModernClient(
      { name: "listen-test", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const updates: string[] = [];
    client.setNotificationHandler("notifications/resources/updated", (n) => void updates.push(n.params.uri));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${baseUrl}${path}`), {
        requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
      }),
    );
    return { client, updates };
  }

  test("a stream naming a URI gets its updates while it is open; closing it unsubscribes", async () => {
    const { client, updates } = await modernClient(pair.b.url);
    try {
      expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
      const subscription = await client.listen({ resourceSubscriptions: ["note://beta"] });
      expect(subscription.honoredFilter).toEqual({ resourceSubscriptions: ["note://beta"] });
      await eventually(() => subscribers("note://beta") === 1);

      await noteChanged("note://beta");
      await noteChanged("note://alpha");
      await eventually(() => updates.length === 1);
      expect(updates).toEqual(["note://beta"]);

      await subscription.close();
      await eventually(() => subscribers("note://beta") === 0 && heldByReplicas() === 0);
    } finally {
      await client.close();
    }
  });

  test("URIs a stream may not subscribe to are left out, the others held", async () => {
    const { client } = await modernClient(pair.a.url);
    try {
      await client.listen({ resourceSubscriptions: ["plain://x", "stateless://x", "other://nowhere", "note://beta"] });
      await eventually(() => subscribers("note://beta") === 1);
      // The stateless backend's refusal is logged; nothing stays held for it.
      await eventually(() => pair.a.gateway.resourceUpdates.size === 1);
    } finally {
      await client.close();
    }
    await eventually(() => heldByReplicas() === 0);
  });

  test("a service that leaves the registry takes its subscriptions with it", async () => {
    const { client } = await modernClient(pair.a.url);
    try {
      await client.listen({ resourceSubscriptions: ["note://alpha"] });
      await eventually(() => pair.a.gateway.resourceUpdates.size === 1);
      expect((await pair.b.admin("DELETE", "/delete/notes")).status).toBe(200);
      await eventually(() => pair.a.gateway.resourceUpdates.size === 0);
    } finally {
      await client.close();
    }
  });
});
