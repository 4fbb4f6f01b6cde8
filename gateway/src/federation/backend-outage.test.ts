/**
 * A backend outage under load: concurrent callers of the real shopping and user services keep calling
 * while shopping is killed and started again. Nobody calling user may notice; callers of shopping get
 * a clear, immediate answer while it is down; once it is back, calls succeed again with no help.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { firstText, startTestStack, type TestStack } from "../../test/support/gateway-harness.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const SHOPPING = "shopping-service";
const WORKERS = 8;
/** Calls per worker at most, so that a phase that never comes ends the test instead of spinning on. */
const MAX_CALLS_PER_WORKER = 1000;
/** Successes wanted before the outage and after the restart. */
const WANTED_SUCCESSES = 24;
/** Calls refused by the open circuit wanted before shopping is started again. */
const WANTED_REFUSALS = 40;
/** Message part of a call the open circuit refused without trying the backend. */
const REFUSED = "calls are not sent to it";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    register: ["shopping", "user"],
    // A call timeout far beyond the test's, so that any failure that waited for it would show.
    settings: { toolCallTimeoutMs: 60_000, healthCheckIntervalMs: 50, circuitFailureThreshold: 3, circuitOpenMs: 300 },
  });
});
afterAll(() => stack?.stop());

type Phase = "before" | "down" | "open" | "restarted";

interface Outcome {
  service: "shopping" | "user";
  /** The phase the call started in. */
  phase: Phase;
  ok: boolean;
  text: string;
}

test("killing shopping under load: user callers never notice, shopping callers fail fast, and recovery needs no help", async () => {
  let phase: Phase = "before";
  let stopping = false;
  const outcomes: Outcome[] = [];
  const count = (filter: (o: Outcome) => boolean) => outcomes.filter(filter).length;

  const worker = async (client: Client, index: number) => {
    for (let i = 0; i < MAX_CALLS_PER_WORKER && !stopping; i++) {
      const service = (i + index) % 2 === 0 ? "shopping" : "user";
      const started = phase;
      const result =
        service === "shopping"
          ? await client.callTool({ name: "getProductById", arguments: { id: "123" } })
          : await client.callTool({ name: "getUserById", arguments: { id: "456" } });
      outcomes.push({ service, phase: started, ok: result.isError !== true, text: firstText(result) });
    }
  };
  const clients = await Promise.all(Array.from({ length: WORKERS }, () => stack.gw.client()));
  let workersDone = false;
  const workers = Promise.all(clients.map(worker)).finally(() => (workersDone = true));

  /** Waits for the workers to bring about `condition`; fails if they ran out of calls first. */
  const until = async (what: string, condition: () => boolean) => {
    while (!condition()) {
      if (workersDone) throw new Error(`the workers finished before ${what}`);
      await Bun.sleep(5);
    }
  };
  const shoppingState = () => stack.gw.gateway.pool.state(SHOPPING);

  await until("shopping answered", () => count((o) => o.service === "shopping" && o.ok) >= WANTED_SUCCESSES);
  phase = "down";
  await stack.shopping.stop();

  await until("the circuit opened", () => shoppingState()?.circuit === "open");
  phase = "open";
  const failuresAtOpen = shoppingState()?.consecutiveFailures ?? 0;
  const health = (await (await stack.gw.admin("GET", "/health")).json()) as {
    backends: { name: string; circuit: string; lastError?: string }[];
  };
  const listed = (await (await stack.gw.admin("GET", "/services")).json()) as {
    services: { name: string; health: { circuit: string; lastError?: string } }[];
  };

  await until(
    "the open circuit refused calls",
    () => count((o) => o.phase === "open" && o.text.includes(REFUSED)) >= WANTED_REFUSALS,
  );
  // Everything that failed before this line has been booked on the breaker already.
  const failuresBeforeRestart = shoppingState()?.consecutiveFailures ?? 0;
  const triedWhileOpen = count(
    (o) => o.service === "shopping" && o.phase === "open" && !o.ok && !o.text.includes(REFUSED),
  );

  phase = "restarted";
  await stack.shopping.start();
  await until(
    "shopping answered again",
    () => count((o) => o.service === "shopping" && o.phase === "restarted" && o.ok) >= WANTED_SUCCESSES,
  );
  stopping = true;
  await workers;

  // Callers of user never noticed.
  const userCalls = outcomes.filter((o) => o.service === "user");
  expect(userCalls.length).toBeGreaterThan(0);
  expect(userCalls.filter((o) => !o.ok)).toEqual([]);

  // Every failed shopping call returned a result naming the service, none after waiting for a timeout.
  const shoppingFailures = outcomes.filter((o) => o.service === "shopping" && !o.ok);
  expect(shoppingFailures.length).toBeGreaterThanOrEqual(WANTED_REFUSALS);
  for (const failure of shoppingFailures) {
    expect(failure.text).toContain(`Service "${SHOPPING}" is unavailable`);
    expect(failure.text).not.toContain("timed out");
  }

  // While the circuit was open, calls were refused rather than tried: every attempt that did go out (a
  // trial after a cool-down, or a health check) counted one failure, and the refusals far outnumber them.
  expect(failuresAtOpen).toBeGreaterThanOrEqual(3);
  expect(triedWhileOpen).toBeLessThanOrEqual(failuresBeforeRestart - failuresAtOpen);
  expect(count((o) => o.phase === "open" && o.text.includes(REFUSED))).toBeGreaterThan(
    failuresBeforeRestart - failuresAtOpen,
  );

  // The outage was visible in /health and /services while it lasted.
  const inHealth = health.backends.find((b) => b.name === SHOPPING);
  expect(inHealth?.circuit).not.toBe("closed");
  expect(inHealth?.lastError).toBeString();
  expect(listed.services.find((s) => s.name === SHOPPING)?.health.circuit).not.toBe("closed");

  // It recovered on its own; the last calls succeeded, and the state says so.
  expect(shoppingState()).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
  const lastShopping = outcomes.filter((o) => o.service === "shopping").slice(-WORKERS);
  expect(lastShopping.every((o) => o.ok)).toBe(true);
}, 60_000);
