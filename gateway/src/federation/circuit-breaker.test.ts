import { describe, expect, test } from "bun:test";
import { type CircuitState, createCircuitBreaker } from "./circuit-breaker.ts";

/** A breaker on a clock the test moves by hand. */
function breakerOnManualClock(failureThreshold = 3, openMs = 1000) {
  let time = 0;
  const changes: CircuitState[] = [];
  const breaker = createCircuitBreaker({ failureThreshold, openMs, now: () => time, onChange: (s) => changes.push(s) });
  const failTimes = (n: number) => {
    for (let i = 0; i < n; i++) breaker.tryAcquire()?.failed();
  };
  return { breaker, changes, failTimes, advance: (ms: number) => (time += ms) };
}

describe("circuit breaker", () => {
  test("stays closed below the threshold, and a success resets the count", () => {
    const { breaker, failTimes } = breakerOnManualClock(3);
    failTimes(2);
    expect(breaker.state).toBe("closed");
    expect(breaker.consecutiveFailures).toBe(2);
    breaker.tryAcquire()?.succeeded();
    failTimes(2);
    expect(breaker.state).toBe("closed");
    expect(breaker.consecutiveFailures).toBe(2);
  });

  test("opens after the threshold and refuses attempts until the cool-down is over", () => {
    const { breaker, changes, failTimes, advance } = breakerOnManualClock(3, 1000);
    failTimes(3);
    expect(breaker.state).toBe("open");
    expect(breaker.retryAt).toBe(1000);
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(999);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.consecutiveFailures).toBe(3);
    expect(changes).toEqual(["open"]);
  });

  test("after the cool-down lets exactly one trial through; its success closes the circuit", () => {
    const { breaker, changes, failTimes, advance } = breakerOnManualClock(3, 1000);
    failTimes(3);
    advance(1000);
    const trial = breaker.tryAcquire();
    expect(trial).toBeDefined();
    expect(breaker.state).toBe("half-open");
    expect(breaker.tryAcquire()).toBeUndefined();
    trial?.succeeded();
    expect(breaker.state).toBe("closed");
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.tryAcquire()).toBeDefined();
    expect(changes).toEqual(["open", "half-open", "closed"]);
  });

  test("a failed trial opens the circuit for another cool-down", () => {
    const { breaker, failTimes, advance } = breakerOnManualClock(3, 1000);
    failTimes(3);
    advance(1500);
    breaker.tryAcquire()?.failed();
    expect(breaker.state).toBe("open");
    expect(breaker.consecutiveFailures).toBe(4);
    expect(breaker.retryAt).toBe(2500);
    advance(999);
    expect(breaker.tryAcquire()).toBeUndefined();
    advance(1);
    expect(breaker.tryAcquire()).toBeDefined();
  });

  test("an abandoned trial frees the slot for the next one", () => {
    const { breaker, failTimes, advance } = breakerOnManualClock(3, 1000);
    failTimes(3);
    advance(1000);
    breaker.tryAcquire()?.abandoned();
    expect(breaker.state).toBe("half-open");
    expect(breaker.tryAcquire()).toBeDefined();
  });

  test("an abandoned ordinary attempt does not free the trial slot", () => {
    const { breaker, advance } = breakerOnManualClock(1, 1000);
    const ordinary = breaker.tryAcquire();
    breaker.tryAcquire()?.failed();
    advance(1000);
    expect(breaker.tryAcquire()).toBeDefined();
    ordinary?.abandoned();
    expect(breaker.tryAcquire()).toBeUndefined();
  });
});
