/**
 * The reopening loop of a long-lived stream the gateway holds at a backend (a session's GET stream, a
 * 2026-07-28 listen): an attempt that ends is made again, at once after one that stayed open a while
 * (servers and proxies cut quiet streams, some before sending even the headers, and what the backend
 * sends next would be lost), with growing pauses while attempts fail, and never again once one ends
 * for a reason that asking again would not change.
 */

/** Why one attempt ended: the stream may be opened again, or must not be. */
export interface AttemptEnd {
  again: boolean;
  reason: string;
}

/** Pauses between failed attempts: the first, and the longest. */
export interface Retry {
  firstMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: Retry = { firstMs: 500, maxMs: 30_000 };

export interface ReopeningOptions {
  retry: Retry;
  /** Ends the loop (close()); an attempt must end when it aborts. */
  signal: AbortSignal;
  /** Told of every attempt's end, unless the loop was closed meanwhile. Must not throw. */
  onend?: (end: AttemptEnd) => void;
  /** Told, with the reason, when an attempt must not be made again. Must not throw. */
  onstop?: (reason: string) => void;
}

/** Runs `attempt` until the signal aborts or an attempt must not be repeated; settles then. */
export async function keepReopening(
  attempt: () => Promise<AttemptEnd>,
  { retry, signal, onend, onstop }: ReopeningOptions,
): Promise<void> {
  let pause = retry.firstMs;
  while (!signal.aborted) {
    const started = performance.now();
    const end = await attempt();
    if (signal.aborted) break;
    onend?.(end);
    if (!end.again) {
      onstop?.(end.reason);
      break;
    }
    if (performance.now() - started >= retry.firstMs * 2) {
      pause = retry.firstMs;
      continue;
    }
    await sleep(pause, signal);
    pause = Math.min(pause * 2, retry.maxMs);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
