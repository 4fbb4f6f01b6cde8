/**
 * When to pull a service's lists again after its backend announced a list change. A backend may announce
 * as often as it likes; each pull costs it a round of list requests and, when the lists changed, every
 * replica a catalog reload. So one service's pulls never overlap and are spaced at least `minIntervalMs`
 * apart: the first announcement after a quiet spell pulls at once, and those that arrive while a pull runs
 * or during the pause after it are merged into one pull at the end of the pause. A flooding backend
 * thus costs one pull per interval, and its last change is still pulled.
 */
import type { Logger } from "../logger.ts";

/** Least time between the end of one pull of a service's lists and the start of the next, by default. */
export const DEFAULT_LIST_REFETCH_INTERVAL_MS = 3_000;

export interface ListRefetches {
  /** The service announced a change (or must be looked at again): pull it now, or once its pause is over. */
  request(service: string, why: string): void;
  /** Drops the pulls waiting for their pause; one already running finishes on its own. */
  close(): void;
}

export interface ListRefetchesDeps {
  /** Pulls the service's lists and stores what changed. */
  pull: (service: string, why: string) => Promise<void>;
  minIntervalMs: number;
  log: Logger;
}

/** A service that is being pulled or pausing after a pull; `pending` names why to pull once more. */
interface Refetch {
  pending?: string;
  pause?: ReturnType<typeof setTimeout>;
}

export function createListRefetches({ pull, minIntervalMs, log }: ListRefetchesDeps): ListRefetches {
  // Only services pulled within the last interval have an entry, so the map stays as small as the activity.
  const refetches = new Map<string, Refetch>();
  let closed = false;

  const start = (service: string, why: string, refetch: Refetch) => {
    refetches.set(service, refetch);
    pull(service, why)
      .catch((error) => log.warn("pulling a service's lists again failed", { service, why, error }))
      .finally(() => {
        if (closed) return;
        refetch.pause = setTimeout(() => pauseOver(service, refetch), minIntervalMs);
        refetch.pause.unref?.();
      });
  };

  const pauseOver = (service: string, refetch: Refetch) => {
    const { pending } = refetch;
    if (pending === undefined) {
      refetches.delete(service);
      return;
    }
    start(service, pending, {});
  };

  return {
    request(service, why) {
      if (closed) return;
      const refetch = refetches.get(service);
      // A pull that is running may have read the lists before this change: one more follows it.
      if (refetch) refetch.pending = why;
      else start(service, why, {});
    },
    close() {
      closed = true;
      for (const { pause } of refetches.values()) clearTimeout(pause);
      refetches.clear();
    },
  };
}
