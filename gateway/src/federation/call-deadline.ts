/**
 * When a request to a backend must end. Two clocks run from its start: the quiet timeout, which the
 * backend's progress starts over and which stands still while the gateway's client is being asked
 * something (the backend then waits on us, not we on it); and the maximum duration, which nothing
 * extends, so a backend reporting progress forever cannot hold a call, its socket and its slot forever.
 */
import { TransportFailure } from "./transport-failure.ts";

export interface CallDeadline {
  /** Aborts, with a TransportFailure that says which limit ran out, when either clock does. */
  readonly signal: AbortSignal;
  /** The backend showed progress: the quiet timeout starts over (the maximum duration does not). */
  extend(): void;
  /** The quiet timeout stands still until the returned function is called. */
  pause(): () => void;
  /** Stops both clocks; the request is over. */
  dispose(): void;
}

export interface CallDeadlineOptions {
  timeoutMs: number;
  /** Longest the request may take however often it shows progress; none when undefined. */
  maxDurationMs?: number;
}

export function createCallDeadline({ timeoutMs, maxDurationMs }: CallDeadlineOptions): CallDeadline {
  const controller = new AbortController();
  let paused = 0;
  const expire = (reason: string) => {
    dispose();
    controller.abort(new TransportFailure(`timed out: ${reason}`));
  };
  const quiet = setTimeout(() => paused > 0 || expire(`no answer within ${timeoutMs} ms`), timeoutMs);
  // Unless progress or a pause holds it off, the quiet timeout ends a call before a longer maximum
  // duration could: the ceiling's timer is set only then, one timer per call instead of two.
  const startedAt = performance.now();
  let ceiling: ReturnType<typeof setTimeout> | undefined;
  const raiseCeiling = () => {
    if (ceiling !== undefined || maxDurationMs === undefined || controller.signal.aborted) return;
    const left = Math.max(0, maxDurationMs - (performance.now() - startedAt));
    ceiling = setTimeout(
      () =>
        expire(
          `the call went on for the ${maxDurationMs} ms a call may take at most (TOOL_CALL_MAX_DURATION_MS), progress or not`,
        ),
      left,
    );
  };
  if (maxDurationMs !== undefined && maxDurationMs < timeoutMs) raiseCeiling();
  function dispose() {
    clearTimeout(quiet);
    clearTimeout(ceiling);
  }

  return {
    signal: controller.signal,
    extend() {
      if (controller.signal.aborted) return;
      raiseCeiling();
      quiet.refresh();
    },
    pause() {
      raiseCeiling();
      paused++;
      let resumed = false;
      return () => {
        if (resumed) return;
        resumed = true;
        paused--;
        if (paused === 0 && !controller.signal.aborted) quiet.refresh();
      };
    },
    dispose,
  };
}
