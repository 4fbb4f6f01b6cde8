/**
 * The two clocks of a call's deadline, as the reason its signal aborts with: which limit ran out. The
 * maximum duration's timer is set only once progress or a pause holds the quiet timeout off, or at once
 * when it is the shorter of the two.
 */
import { expect, test } from "bun:test";
import { createCallDeadline } from "./call-deadline.ts";
import { TransportFailure } from "./transport-failure.ts";

/** The reason the deadline's signal aborts with, while `during` runs until then. */
async function reasonOf(signal: AbortSignal, during: () => void = () => {}): Promise<string> {
  const keepGoing = setInterval(during, 20);
  try {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  } finally {
    clearInterval(keepGoing);
  }
  expect(signal.reason).toBeInstanceOf(TransportFailure);
  return (signal.reason as Error).message;
}

test("a call that shows nothing ends at the quiet timeout", async () => {
  const deadline = createCallDeadline({ timeoutMs: 60, maxDurationMs: 5000 });
  expect(await reasonOf(deadline.signal)).toBe("timed out: no answer within 60 ms");
});

test("a maximum duration shorter than the quiet timeout ends a call that shows nothing", async () => {
  const deadline = createCallDeadline({ timeoutMs: 5000, maxDurationMs: 60 });
  expect(await reasonOf(deadline.signal)).toContain("the 60 ms a call may take at most");
});

test("progress starts the quiet timeout over, but not the maximum duration", async () => {
  const deadline = createCallDeadline({ timeoutMs: 60, maxDurationMs: 200 });
  expect(await reasonOf(deadline.signal, () => deadline.extend())).toContain("the 200 ms a call may take at most");
});

test("a pause holds the quiet timeout, but not the maximum duration", async () => {
  const deadline = createCallDeadline({ timeoutMs: 40, maxDurationMs: 150 });
  deadline.pause();
  expect(await reasonOf(deadline.signal)).toContain("the 150 ms a call may take at most");
});

test("a disposed deadline never aborts", async () => {
  const deadline = createCallDeadline({ timeoutMs: 20, maxDurationMs: 30 });
  deadline.extend();
  deadline.dispose();
  await Bun.sleep(80);
  expect(deadline.signal.aborted).toBe(false);
});
