/**
 * The listen event bus on its own: events published on one replica reach the streams of another
 * (Redis when REDIS_URL is set, else in-process), a resource update only where the caller may read the
 * resource, and a catalog reload only as the lists of each caller's view changed.
 */
import { afterEach, expect, test } from "bun:test";
import type { ServerEvent } from "@modelcontextprotocol/server";
import { eventually } from "../../test/support/eventually.ts";
import { testRedisUrl } from "../../test/support/redis-server.ts";
import { serviceRecord } from "../../test/support/service-records.ts";
import type { CatalogView } from "../catalog/catalog.ts";
import { buildSnapshot, type CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import { silentLogger } from "../logger.ts";
import { createSessionBus, type SessionBus } from "../sessions/session-bus.ts";
import { createListenEvents, type ListenEvents } from "./listen-events.ts";

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0)) await thing.close();
});

async function replicas(): Promise<[ListenEvents, ListenEvents]> {
  const prefix = `test:${crypto.randomUUID()}:`;
  const redisUrl = testRedisUrl();
  const buses: SessionBus[] = redisUrl
    ? [await createSessionBus({ redisUrl, keyPrefix: prefix }), await createSessionBus({ redisUrl, keyPrefix: prefix })]
    : Array(2).fill(await createSessionBus({ keyPrefix: prefix }));
  const [a, b] = buses.map((sessionBus) => createListenEvents({ sessionBus, log: silentLogger })) as [
    ListenEvents,
    ListenEvents,
  ];
  opened.push(a, b, ...new Set(buses));
  return [a, b];
}

/** A view whose snapshot a test replaces, as a catalog reload would. */
function view(snapshot: CatalogSnapshot): CatalogView & { current: CatalogSnapshot } {
  const catalog = { current: snapshot, snapshot: () => catalog.current };
  return catalog;
}

function withResource(name: string, uri: string, tools = [`${name}_tool`]) {
  return { ...serviceRecord(name, tools), resources: [{ uri, name }] };
}

/** Opens a stream on `events` for the caller of `catalog`, as the SDK's listen router does. */
function listen(events: ListenEvents, catalog: CatalogView): ServerEvent[] {
  const heard: ServerEvent[] = [];
  opened.push({ close: events.within({ catalog }, () => events.bus.subscribe((event) => heard.push(event))) });
  return heard;
}

test("an update published on one replica reaches the streams of another whose caller may read the resource", async () => {
  const [a, b] = await replicas();
  const reader = listen(b, view(buildSnapshot([withResource("notes", "note://a")], 1)));
  const outsider = listen(b, view(buildSnapshot([serviceRecord("other", ["x"])], 1)));
  // The update no caller may read goes first, so that the other's arrival shows both were delivered. Sent
  // again until one arrives: Redis drops what is published before replica b's subscription has taken.
  await eventually(() => {
    a.bus.publish({ kind: "resource_updated", uri: "note://hidden" });
    a.bus.publish({ kind: "resource_updated", uri: "note://a" });
    return reader.length > 0;
  });
  expect(new Set(reader.map((event) => JSON.stringify(event)))).toEqual(
    new Set([JSON.stringify({ kind: "resource_updated", uri: "note://a" })]),
  );
  expect(outsider).toEqual([]);
});

test("a reload tells each stream only of the lists that changed in its caller's view", async () => {
  const [a] = await replicas();
  const before = buildSnapshot([serviceRecord("s", ["t"])], 1);
  const tools = view(before);
  const resources = view(before);
  const same = view(before);
  const heardTools = listen(a, tools);
  const heardResources = listen(a, resources);
  const heardNothing = listen(a, same);

  tools.current = buildSnapshot([serviceRecord("s", ["t", "u"])], 2);
  resources.current = buildSnapshot([withResource("s", "note://a", ["t"])], 2);
  same.current = buildSnapshot([serviceRecord("s", ["t"])], 2);
  a.catalogReloaded();

  expect(heardTools).toEqual([{ kind: "tools_list_changed" }]);
  expect(heardResources).toEqual([{ kind: "resources_list_changed" }]);
  expect(heardNothing).toEqual([]);
  // Heard once: the next reload compares with what the stream was last told of.
  a.catalogReloaded();
  expect(heardTools).toHaveLength(1);
});

test("a stream opened outside the gateway's handler is refused", async () => {
  const [a] = await replicas();
  expect(() => a.bus.subscribe(() => {})).toThrow("outside the gateway's MCP handler");
});
