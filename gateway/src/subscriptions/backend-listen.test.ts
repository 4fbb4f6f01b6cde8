/**
 * The gateway as a `subscriptions/listen` client of 2026-07-28 backends, across two replicas: a backend
 * written here on the v2 SDK (2026-07-28 only) that changes its tools and resources outside any request
 * is heard through the gateway by a pinned v2 client's listen stream and a 1.x session's GET stream;
 * a 1.x session subscribed to one of its resources gets the updates; the streams end with the service.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client as ModernClient, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { connectBalancedClient } from "../../test/support/balanced-client.ts";
import { eventually } from "../../test/support/eventually.ts";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { type ListeningBackend, startListeningBackend } from "../../test/support/listening-backend.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";

let pair: ReplicaPair;
const backends: ListeningBackend[] = [];

beforeAll(async () => {
  pair = await startReplicaPair();
});
afterAll(async () => {
  await pair?.stop();
  await Promise.all(backends.map((b) => b.stop()));
});

async function register(name: string, options?: { lists?: boolean }): Promise<ListeningBackend> {
  const backend = startListeningBackend(name, options);
  backends.push(backend);
  const response = await pair.b.admin("POST", "/register", { name, url: backend.url });
  expect(response.status).toBe(201);
  await eventually(() => pair.a.gateway.catalog.snapshot().routes.has(`${name}_first`));
  return backend;
}

async function modernClient(baseUrl: string) {
  const client = new ModernClient(
    { name: "backend-listen-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  const heard: string[] = [];
  client.setNotificationHandler("notifications/tools/list_changed", () => void heard.push("tools"));
  client.setNotificationHandler("notifications/resources/updated", (n) => void heard.push(n.params.uri));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
    }),
  );
  return { client, heard };
}

/** A 1.x session whose requests alternate between the replicas (or go to replica b only) and whose GET stream is on replica b. */
async function legacySession({ alternating = true } = {}) {
  const urls = alternating ? { a: pair.a.url, b: pair.b.url } : { a: pair.b.url, b: pair.b.url };
  const { client, transport, seen } = await connectBalancedClient(urls, "b");
  const heard: string[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void heard.push("tools"));
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heard.push(n.params.uri));
  await eventually(() => seen.some((s) => s.method === "GET" && s.status === 200));
  return { client, transport, heard };
}

async function endSession(client: Client, transport: LegacyTransport) {
  await transport.terminateSession();
  await client.close();
}

describe("list changes of 2026-07-28 backends", () => {
  test("each replica listens for the lists the backend declares; a tool added outside any call reaches both kinds of client", async () => {
    const backend = await register("live");
    // One listen per replica, asking for every list; the backend honours what it declares.
    await eventually(() => backend.open === 2);
    for (const replica of [pair.a, pair.b]) expect(replica.gateway.backendListChanges.listening).toContain("live");
    expect(backend.listens).toEqual([
      { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true },
      { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true },
    ]);

    const modern = await modernClient(pair.a.url);
    const legacy = await legacySession();
    try {
      await modern.client.listen({ toolsListChanged: true });
      backend.addTool("live_second");
      await eventually(() => modern.heard.includes("tools") && legacy.heard.includes("tools"));
      for (const replica of [pair.a, pair.b])
        expect(replica.gateway.catalog.snapshot().routes.has("live_second")).toBe(true);
      const { tools } = await modern.client.listTools();
      expect(tools.map((t) => t.name)).toContain("live_second");
      expect((await legacy.client.listTools()).tools.map((t) => t.name)).toContain("live_second");
    } finally {
      await modern.client.close();
      await endSession(legacy.client, legacy.transport);
    }
  });

  test("a backend that declares no list changes is asked once per replica, and not again", async () => {
    const backend = await register("quiet", { lists: false });
    await eventually(() => backend.listens.length === 2);
    // Its listens end at once with nothing honoured: each replica stops trying, and a reload does not start again.
    const stopped = () =>
      [pair.a, pair.b].every((replica) => !replica.gateway.backendListChanges.listening.includes("quiet"));
    await eventually(stopped);
    expect(backend.open).toBe(0);
    const { catalog } = pair.a.gateway;
    await catalog.reload(catalog.snapshot().version, { force: true });
    expect(stopped()).toBe(true);
    expect(backend.listens.length).toBe(2);
  });

  test("the listens end when the service is deleted", async () => {
    const backend = await register("gone");
    await eventually(() => backend.open === 2);
    expect((await pair.a.admin("DELETE", "/delete/gone")).status).toBe(200);
    await eventually(() => backend.open === 0);
    for (const replica of [pair.a, pair.b]) expect(replica.gateway.backendListChanges.listening).not.toContain("gone");
  });
});

describe("resource subscriptions at 2026-07-28 backends", () => {
  let backend: ListeningBackend;
  beforeAll(async () => {
    backend = await register("docs");
  });

  test("a 1.x session subscribed to a resource hears of its updates, through a listen naming it", async () => {
    await eventually(() => backend.open === 2);
    const legacy = await legacySession();
    try {
      await legacy.client.subscribeResource({ uri: "doc://docs/readme" });
      expect(backend.listens.at(-1)).toEqual({ resourceSubscriptions: ["doc://docs/readme"] });
      expect(backend.open).toBe(3);
      backend.resourceChanged("doc://docs/readme");
      await eventually(() => legacy.heard.includes("doc://docs/readme"));

      // Unsubscribed: the listen naming it is closed.
      await legacy.client.unsubscribeResource({ uri: "doc://docs/readme" });
      await eventually(() => backend.open === 2);
    } finally {
      await endSession(legacy.client, legacy.transport);
    }
  });

  test("the backend's listen follows the set of URIs subscribed on a replica: opened again with each change", async () => {
    // On one replica: the last replica to take a session's subscribe holds it.
    const legacy = await legacySession({ alternating: false });
    try {
      await legacy.client.subscribeResource({ uri: "doc://docs/readme" });
      await legacy.client.subscribeResource({ uri: "doc://docs/changelog" });
      expect(backend.listens.at(-1)).toEqual({ resourceSubscriptions: ["doc://docs/readme", "doc://docs/changelog"] });
      // The listen naming only the first was closed once the one naming both was acknowledged.
      await eventually(() => backend.open === 3);

      await legacy.client.unsubscribeResource({ uri: "doc://docs/readme" });
      // The unsubscribe is answered without waiting for the backend: its listen is replaced after it.
      const changelogOnly = JSON.stringify({ resourceSubscriptions: ["doc://docs/changelog"] });
      await eventually(() => JSON.stringify(backend.listens.at(-1)) === changelogOnly);
      await eventually(() => backend.open === 3);
      // On the one listen left, an update of the resource let go would come before the other's.
      backend.resourceChanged("doc://docs/readme");
      backend.resourceChanged("doc://docs/changelog");
      await eventually(() => legacy.heard.includes("doc://docs/changelog"));
      expect(legacy.heard).toEqual(["doc://docs/changelog"]);
    } finally {
      await endSession(legacy.client, legacy.transport);
    }
    await eventually(() => backend.open === 2);
  });

  test("a pinned 2026-07-28 client listening for a resource of the backend hears of its updates", async () => {
    const modern = await modernClient(pair.b.url);
    try {
      await modern.client.listen({ resourceSubscriptions: ["doc://docs/readme"] });
      await eventually(() => backend.open === 3);
      backend.resourceChanged("doc://docs/readme");
      await eventually(() => modern.heard.includes("doc://docs/readme"));
    } finally {
      await modern.client.close();
    }
  });
});
