/**
 * Tells the catalog about registry versions: pushed ones as they arrive, plus a poll of the store every
 * `pollIntervalMs` as a safety net for lost messages, outages and stores that cannot push. The consumer
 * compares versions itself, so the same version may be delivered more than once.
 */
import type { VersionStore } from "./version-store.ts";

export interface VersionWatcherOptions {
  store: VersionStore;
  pollIntervalMs: number;
  onVersion: (version: number) => void;
  /** Called for every failed poll, and when onVersion or onRecovered throws. */
  onError?: (error: unknown) => void;
  /** Called after the first successful poll that follows a failed one. */
  onRecovered?: () => void;
}

export interface VersionWatcher {
  stop(): void;
  /** true while the last poll/connection to the store failed */
  readonly degraded: boolean;
  /** Polls now; resolves once a poll started after this call has finished. Never rejects. */
  checkNow(): Promise<void>;
}

export function watchVersion({
  store,
  pollIntervalMs,
  onVersion,
  onError,
  onRecovered,
}: VersionWatcherOptions): VersionWatcher {
  let degraded = false;
  let stopped = false;
  let polling: Promise<void> | undefined;
  let pollAgain = false;

  // The consumer's callbacks must not break polling, nor the store's message handling.
  const safely = (callback: () => void) => {
    try {
      callback();
    } catch (error) {
      onError?.(error);
    }
  };

  const pollOnce = async () => {
    let version: number;
    try {
      version = await store.current();
    } catch (error) {
      if (stopped) return;
      degraded = true;
      onError?.(error);
      return;
    }
    if (stopped) return;
    if (degraded) {
      degraded = false;
      if (onRecovered) safely(onRecovered);
    }
    safely(() => onVersion(version));
  };

  // One poll at a time: requests made during a poll are merged into a single follow-up.
  const drain = async () => {
    try {
      do {
        pollAgain = false;
        await pollOnce();
      } while (pollAgain && !stopped);
    } finally {
      polling = undefined;
    }
  };

  const checkNow = () => {
    if (polling) pollAgain = true;
    polling ??= drain();
    return polling;
  };

  const timer = setInterval(() => {
    // A tick that finds a poll still running (a slow or hung store) is skipped, not queued.
    polling ??= drain();
  }, pollIntervalMs);
  timer.unref();

  const unsubscribe = store.subscribe?.((version) => {
    if (stopped) return;
    safely(() => onVersion(version));
    // A message means the store is back; poll now rather than at the next tick to clear the outage.
    if (degraded) void checkNow();
  });

  void checkNow();

  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe?.();
    },
    get degraded() {
      return degraded;
    },
    checkNow,
  };
}
