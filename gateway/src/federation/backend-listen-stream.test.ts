/**
 * The gateway's listen at a 2026-07-28 backend (the v2 SDK's), on its own: what the backend
 * acknowledges, a stream that breaks is reopened (and the list-change listener catches up with a pull),
 * an event larger than the bound breaks the stream off instead of being read, and a backend that
 * honours nothing of the filter is not asked again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually } from "../../test/support/eventually.ts";
import { type ListeningBackend, startListeningBackend } from "../../test/support/listening-backend.ts";
import { silentLogger } from "../logger.ts";
import { createBackendListChanges } from "./backend-list-changes.ts";
import { type ListenFilter, openBackendListen } from "./backend-listen-stream.ts";
import type { Notification } from "./json-rpc-exchange.ts";

const RETRY = { firstMs: 10, maxMs: 50 };
let backend: ListeningBackend;
let quiet: ListeningBackend;

beforeAll(() => {
  backend = startListeningBackend("stream");
  quiet = startListeningBackend("quiet", { lists: false });
});
afterAll(async () => {
  await Promise.all([backend?.stop(), quiet?.stop()]);
});

function listen(target: ListeningBackend, filter: ListenFilter, maxEventBytes = 64 * 1024) {
  const acks: { honoured: ListenFilter; reopened: boolean }[] = [];
  const notes: Notification[] = [];
  const stops: string[] = [];
  const opened = openBackendListen({
    target: { name: "stream", url: target.url, headers: {}, revision: "2026-07-28" },
    fetch,
    filter,
    maxEventBytes,
    retry: RETRY,
    onnotification: (n) => void notes.push(n),
    onacknowledged: (honoured, reopened) => void acks.push({ honoured, reopened }),
    onstop: (reason) => void stops.push(reason),
  });
  return { opened, acks, notes, stops };
}

test("the backend acknowledges what it declares, sends what was asked for, and a broken stream is reopened", async () => {
  const { opened, acks, notes } = listen(backend, { toolsListChanged: true, promptsListChanged: true });
  try {
    // It has no prompts: only the tool list is honoured.
    expect(await opened.acknowledged).toEqual({ toolsListChanged: true });
    backend.addTool("stream_second");
    await eventually(() => notes.length === 1);
    expect(notes[0]?.method).toBe("notifications/tools/list_changed");

    backend.cutStreams();
    await eventually(() => acks.length === 2);
    expect(acks.map((a) => a.reopened)).toEqual([false, true]);
    backend.addTool("stream_third");
    await eventually(() => notes.length === 2);
  } finally {
    opened.close();
  }
  await eventually(() => backend.open === 0);
});

test("an event larger than the bound is not read: the stream is broken off and reopened", async () => {
  const uri = `doc://stream/${"x".repeat(4096)}`;
  const { opened, acks, notes } = listen(backend, { resourceSubscriptions: [uri] }, 2048);
  try {
    // The acknowledgement names the URI too, so it is larger than the bound: the stream never gets going.
    expect(typeof (await opened.acknowledged)).toBe("string");
    expect(acks).toEqual([]);
    expect(notes).toEqual([]);
    await eventually(() => backend.listens.filter((l) => l.resourceSubscriptions !== undefined).length >= 3);
  } finally {
    opened.close();
  }
});

test("a backend that honours nothing asked for is not asked again", async () => {
  const { opened, stops } = listen(quiet, { toolsListChanged: true, resourcesListChanged: true });
  expect(await opened.acknowledged).toEqual({});
  await eventually(() => stops.length === 1);
  expect(stops[0]).toContain("honours none");
  expect(quiet.listens.length).toBe(1);
  opened.close();
});

test("after a reopened listen, the list-change listener pulls the lists once, as it may have missed a change", async () => {
  const pulled: string[] = [];
  const changes = createBackendListChanges({
    fetch,
    maxEventBytes: 64 * 1024,
    onlistchanged: (service) => void pulled.push(service),
    retry: RETRY,
    log: silentLogger,
  });
  try {
    changes.sync([{ name: "stream", url: backend.url, headers: {}, revision: "2026-07-28" }]);
    await eventually(() => backend.open === 1);
    expect(pulled).toEqual([]);
    backend.cutStreams();
    await eventually(() => pulled.length === 1);
    expect(changes.listening).toEqual(["stream"]);
    // A 2025 backend is not listened to: it has no such method.
    changes.sync([{ name: "old", url: backend.url, headers: {}, revision: "2025-11-25" }]);
    expect(changes.listening).toEqual([]);
    await eventually(() => backend.open === 0);
  } finally {
    changes.close();
  }
});
