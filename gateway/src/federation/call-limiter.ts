/**
 * A bounded number of requests in flight, with a bounded line of requests waiting for one of the slots.
 * Each backend has one, so a backend that stops answering can tie up only its own slots, never the
 * sockets that every backend shares (Bun's fetch holds a process-wide number of connections, 256 by
 * default, and queues the rest behind them in order); the gateway has one over all backends too.
 */

/** Ends the use of a slot; calling it more than once is harmless. */
export type Release = () => void;

export interface CallLimiter {
  readonly active: number;
  readonly waiting: number;
  /**
   * A slot, at once or after a wait in line. Rejects at once with LimitReached when every slot is taken
   * and the line is full, and with the signal's reason when it aborts while waiting.
   */
  acquire(signal?: AbortSignal): Promise<Release>;
}

export class LimitReached extends Error {
  constructor(
    readonly maxActive: number,
    readonly maxWaiting: number,
  ) {
    super(`all ${maxActive} of its call slots are taken and ${maxWaiting} more calls are waiting for one`);
  }
}

interface Waiter {
  grant: () => void;
}

export function createCallLimiter({ maxActive, maxWaiting }: { maxActive: number; maxWaiting: number }): CallLimiter {
  let active = 0;
  const line: Waiter[] = [];

  const releaser = (): Release => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = line.shift();
      // The slot passes straight to the next in line, so no newcomer can take it first.
      if (next) next.grant();
      else active--;
    };
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return line.length;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (active < maxActive) {
        active++;
        return Promise.resolve(releaser());
      }
      if (line.length >= maxWaiting) return Promise.reject(new LimitReached(maxActive, maxWaiting));
      return new Promise<Release>((resolve, reject) => {
        const onAbort = () => {
          const at = line.indexOf(waiter);
          if (at >= 0) line.splice(at, 1);
          reject(signal?.reason);
        };
        const waiter: Waiter = {
          grant() {
            signal?.removeEventListener("abort", onAbort);
            resolve(releaser());
          },
        };
        line.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
}
