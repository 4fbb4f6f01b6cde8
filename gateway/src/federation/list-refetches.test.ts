/**
 * The spacing of one service's pulls: the first announcement pulls at once, those during a pull or the
 * pause after it become one pull at the pause's end, and services do not wait for each other. Pulls here
 * are promises the test settles, so every count is exact whatever the machine's speed.
 */
import { afterEach, expect, test } from "bun:test";
import { eventually } from "../../test/support/eventually.ts";
import { silentLogger } from "../logger.ts";
import { createListRefetches, type ListRefetches } from "./list-refetches.ts";

interface Pull {
  service: string;
  why: string;
  finish(): void;
  fail(error: Error): void;
}

let refetches: ListRefetches | undefined;
afterEach(() => refetches?.close());

/** Refetches whose pulls wait for the test to finish them; `pulls` lists them as they start. */
function heldRefetches(minIntervalMs: number): { refetches: ListRefetches; pulls: Pull[] } {
  const pulls: Pull[] = [];
  refetches = createListRefetches({
    minIntervalMs,
    log: silentLogger,
    pull: (service, why) =>
      new Promise<void>((finish, fail) => {
        pulls.push({ service, why, finish, fail });
      }),
  });
  return { refetches, pulls };
}

/** Lets a settled pull's continuation run (it starts the pause). */
const settle = () => Bun.sleep(0);

test("announcements during a pull and its pause become one pull at the pause's end, with the latest reason", async () => {
  const { refetches, pulls } = heldRefetches(20);
  refetches.request("svc", "first");
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
  pulls[0]!.finish();
  await settle();

  refetches.request("svc", "again");
  refetches.request("svc", "and again");

  expect(pulls).toHaveLength(1);
});

test("the first announcement of a service pulls at once, whatever another service is doing", async () => {
  const { refetches, pulls } = heldRefetches(60_000);
  refetches.request("flooding", "one");
  refetches.request("flooding", "two");
  refetches.request("quiet", "one");

  expect(pulls.map((p) => `${p.service} ${p.why}`)).toEqual(["flooding one", "quiet one"]);
});

test("a failed pull still lets the announcements after it be pulled", async () => {
  const { refetches, pulls } = heldRefetches(1);
  refetches.request("svc", "first");
  refetches.request("svc", "second");
  pulls[0]!.fail(new Error("backend down"));
  await eventually(() => pulls.length === 2);
  expect(pulls[1]!.why).toBe("second");
});

test("after close, nothing more is pulled", async () => {
  const { refetches, pulls } = heldRefetches(1);
  refetches.request("svc", "first");
  refetches.request("svc", "waiting");
  refetches.close();
  pulls[0]!.finish();
  await settle();
  refetches.request("other", "late");

  expect(pulls).toHaveLength(1);
});
