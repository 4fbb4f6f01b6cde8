/**
 * The spacing of one service's pulls: the first announcement pulls at once, those during a pull or the
 * pause after it become one pull at the pause's end, and services do not wait for each other. Replicas
 * share the spacing through claims on one in-process version store, as gateways in one process do. Pulls
 * here are promises the test settles, so every count is exact whatever the machine's speed.
 */
import { afterEach, expect, test } from "bun:test";
import { eventually } from "../../test/support/eventually.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { createMemoryVersionStore } from "../catalog/version-store-memory.ts";
import { createLogger, type Logger, silentLogger } from "../logger.ts";
import { createListRefetches, type ListRefetches } from "./list-refetches.ts";

interface Pull {
  service: string;
  why: string;
  finish(): void;
  fail(error: Error): void;
}

const opened: ListRefetches[] = [];
afterEach(() => {
  for (const refetches of opened.splice(0)) refetches.close();
});

/** Refetches whose pulls wait for the test to finish them; `pulls` lists them as they start. */
function heldRefetches(
  minIntervalMs: number,
  { store = createMemoryVersionStore(), log = silentLogger }: { store?: VersionStore; log?: Logger } = {},
): { refetches: ListRefetches; pulls: Pull[] } {
  const pulls: Pull[] = [];
  const refetches = createListRefetches({
    minIntervalMs,
    log,
    claim: (key, ttlMs) => store.claim(key, ttlMs),
    pull: (service, why) =>
      new Promise<void>((finish, fail) => {
        pulls.push({ service, why, finish, fail });
      }),
  });
  opened.push(refetches);
  return { refetches, pulls };
}

/** Lets pending continuations run: a granted claim's pull starts, a settled pull's pause begins. */
const settle = () => Bun.sleep(0);

test("announcements during a pull and its pause become one pull at the pause's end, with the latest reason", async () => {
  const { refetches, pulls } = heldRefetches(20);
  refetches.request("svc", "first");
  await settle();
  expect(pulls.map((p) => p.why)).toEqual(["first"]);

  for (let i = 1; i <= 100; i++) refetches.request("svc", `during ${i}`);
  expect(pulls).toHaveLength(1);
  pulls[0]!.finish();
  await eventually(() => pulls.length === 2);
  expect(pulls[1]!.why).toBe("during 100");

  // One more announcement after the merged pull is pulled too, and nothing in between was.
  refetches.request("svc", "after");
  pulls[1]!.finish();
  await eventually(() => pulls.length === 3);
  expect(pulls.map((p) => p.why)).toEqual(["first", "during 100", "after"]);
});

test("an announcement in the pause after a pull waits for its end instead of pulling at once", async () => {
  const { refetches, pulls } = heldRefetches(60_000);
  refetches.request("svc", "first");
  await settle();
  pulls[0]!.finish();
  await settle();

  refetches.request("svc", "again");
  refetches.request("svc", "and again");
  await settle();

  expect(pulls).toHaveLength(1);
});

test("the first announcement of a service pulls at once, whatever another service is doing", async () => {
  const { refetches, pulls } = heldRefetches(60_000);
  refetches.request("flooding", "one");
  refetches.request("flooding", "two");
  refetches.request("quiet", "one");
  await settle();

  expect(pulls.map((p) => `${p.service} ${p.why}`)).toEqual(["flooding one", "quiet one"]);
});

test("a failed pull still lets the announcements after it be pulled", async () => {
  const { refetches, pulls } = heldRefetches(1);
  refetches.request("svc", "first");
  await settle();
  refetches.request("svc", "second");
  pulls[0]!.fail(new Error("backend down"));
  await eventually(() => pulls.length === 2);
  expect(pulls[1]!.why).toBe("second");
});

test("after close, nothing more is pulled", async () => {
  const { refetches, pulls } = heldRefetches(1);
  refetches.request("svc", "first");
  await settle();
  refetches.request("svc", "waiting");
  refetches.close();
  pulls[0]!.finish();
  await settle();
  refetches.request("other", "late");
  await settle();

  expect(pulls).toHaveLength(1);
});

test("two replicas told of the same announcements pull once between them while one pull's interval lasts", async () => {
  const store = createMemoryVersionStore();
  const a = heldRefetches(60_000, { store });
  const b = heldRefetches(60_000, { store });
  for (let i = 1; i <= 10; i++) {
    a.refetches.request("svc", `announcement ${i}`);
    b.refetches.request("svc", `announcement ${i}`);
  }
  await settle();
  a.pulls[0]?.finish();
  b.pulls[0]?.finish();
  await settle();

  expect(a.pulls.length + b.pulls.length).toBe(1);
});

test("an announcement a replica gets while another holds the claim is pulled by it once the claim is free", async () => {
  const store = createMemoryVersionStore();
  const a = heldRefetches(50, { store });
  const b = heldRefetches(50, { store });
  a.refetches.request("svc", "told A");
  await settle();
  // A's pull may have read the lists before B's announcement: B must not leave it to A.
  b.refetches.request("svc", "told B");
  await settle();
  expect(b.pulls).toHaveLength(0);
  a.pulls[0]!.finish();

  await eventually(() => b.pulls.length === 1);
  expect(b.pulls[0]!.why).toBe("told B");
  expect(a.pulls).toHaveLength(1);
});

test("a replica leaves an announcement to the replica whose claim was taken after it", async () => {
  const store = createMemoryVersionStore();
  const logLines: string[] = [];
  const a = heldRefetches(100, { store });
  const b = heldRefetches(100, {
    store,
    log: createLogger({ level: "debug", json: true, write: (line) => logLines.push(line) }),
  });
  const leftToA = () =>
    logLines.some((line) => line.includes("another replica pulls the lists after this announcement"));
  a.refetches.request("svc", "first for A");
  await settle();
  a.pulls[0]!.finish();
  await settle();
  // A pulls again at its pause's end, with a claim it takes after B's announcement; B tries within A's pause.
  a.refetches.request("svc", "second for A");
  b.refetches.request("svc", "told B");

  await eventually(() => leftToA() || b.pulls.length > 0);
  expect(b.pulls).toHaveLength(0);
  expect(a.pulls.map((p) => p.why)).toEqual(["first for A", "second for A"]);
});
