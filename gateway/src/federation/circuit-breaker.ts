/**
 * A circuit breaker for one backend. After `failureThreshold` consecutive failed attempts (calls or
 * health checks) it opens: attempts are refused without touching the network, so callers of a dead
 * backend get an answer at once instead of each paying a connect error or a timeout. After `openMs` it
 * lets exactly one attempt through (half-open); its outcome closes the circuit or opens it again.
 */
export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreaker {
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  /** When an open circuit lets the next trial through (epoch ms); undefined unless open. */
  readonly retryAt: number | undefined;
  /**
   * An attempt that may go out now, or undefined when the circuit refuses it. In half-open only the one
   * trial is let through. Every attempt must be settled exactly once.
   */
  tryAcquire(): Attempt | undefined;
}

export interface Attempt {
  succeeded(): void;
  failed(): void;
  /** The attempt ended without telling anything about the backend (the caller gave up). */
  abandoned(): void;
}

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
  /** Told of every change of state, for logs and metrics. */
  onChange?: (state: CircuitState) => void;
}

export function createCircuitBreaker({
  failureThreshold,
  openMs,
  now = Date.now,
  onChange,
}: CircuitBreakerOptions): CircuitBreaker {
  let state: CircuitState = "closed";
  let failures = 0;
  let openedAt = 0;
  let trialOut = false;

  const moveTo = (next: CircuitState) => {
    if (next === state) return;
    state = next;
    onChange?.(next);
  };
  const open = () => {
    openedAt = now();
    trialOut = false;
    moveTo("open");
  };

  const attempt = (trial: boolean): Attempt => ({
    succeeded() {
      failures = 0;
      trialOut = false;
      moveTo("closed");
    },
    failed() {
      failures++;
      if (state === "half-open" || (state === "closed" && failures >= failureThreshold)) open();
    },
    abandoned() {
      if (trial) trialOut = false;
    },
  });

  return {
    get state() {
      return state;
    },
    get consecutiveFailures() {
      return failures;
    },
    get retryAt() {
      return state === "open" ? openedAt + openMs : undefined;
    },

    tryAcquire() {
      if (state === "closed") return attempt(false);
      if (state === "open") {
        if (now() - openedAt < openMs) return undefined;
        moveTo("half-open");
      }
      if (trialOut) return undefined;
      trialOut = true;
      return attempt(true);
    },
  };
}
