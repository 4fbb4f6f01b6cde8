/**
 * Checks every registered backend on an interval, so a backend that died is noticed (and its circuit
 * opened) before callers find out, and one that came back closes its circuit without waiting for a
 * caller to risk a trial call. Rounds never overlap: the next starts an interval after the last ended.
 */
import type { Logger } from "../logger.ts";
import type { BackendPool } from "./backend-pool.ts";

export interface HealthCheckerOptions {
  pool: Pick<BackendPool, "states" | "check">;
  intervalMs: number;
  /** Longest one check may take. */
  timeoutMs: number;
  log: Logger;
}

export interface HealthChecker {
  start(): void;
  /** Stops the timer; a round in progress finishes on its own (each check is bounded by the timeout). */
  stop(): void;
  /** One round over all backends, now. */
  checkAll(): Promise<void>;
}

export function createHealthChecker({ pool, intervalMs, timeoutMs, log }: HealthCheckerOptions): HealthChecker {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  const checkAll = async () => {
    await Promise.all(pool.states().map((backend) => pool.check(backend.name, timeoutMs)));
  };

  const schedule = () => {
    timer = setTimeout(async () => {
      try {
        await checkAll();
      } catch (error) {
        log.error("health check round failed", { error });
      }
      if (running) schedule();
    }, intervalMs);
    // Health checks alone must not keep the process alive.
    timer.unref();
  };

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    stop() {
      running = false;
      clearTimeout(timer);
      timer = undefined;
    },
    checkAll,
  };
}
