/**
 * When to pull a service's lists again after its backend announced a list change. A backend may announce
 * as often as it likes; each pull costs it a round of list requests and, when the lists changed, every
 * replica a catalog reload. So one service's pulls never overlap and are spaced at least `minIntervalMs`
 * apart: the first announcement after a quiet spell pulls at once, and those that arrive while a pull runs
 * or during the pause after it are merged into one pull at the end of the pause. A flooding backend
 * thus costs one pull per interval, and its last change is still pulled.
 *
 * The spacing holds across replicas too: a pull starts only with the claim `refetch:<service>`, held for
 * one interval. A replica that loses it keeps the announcement and asks again after its pause, until
 * either it wins and pulls, or the claim it loses was taken after the announcement came (see `start`):
 * then the holder's pull, which follows its claim, reads the change, and the winner's registry write
 * reaches this replica as a new version.
 */
import type { Claim } from "../catalog/replica-claims.ts";
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
  /** Shared between the replicas; the key is `refetch:<service>`, held for `minIntervalMs`. */
  claim: Claim;
  minIntervalMs: number;
  log: Logger;
}

/** An announcement not pulled yet: why, and when it came (performance.now()). */
interface Wanted {
  why: string;
  at: number;
}

/** A service that is being claimed, pulled or pausing after either; `pending` is what to pull once more. */
interface Refetch {
  pending?: Wanted;
  pause?: ReturnType<typeof setTimeout>;
}

export function createListRefetches({ pull, claim, minIntervalMs, log }: ListRefetchesDeps): ListRefetches {
  // Only services pulled or claimed within the last interval have an entry: the map stays as small as the activity.
  const refetches = new Map<string, Refetch>();
  let closed = false;

  const start = (service: string, wanted: Wanted) => {
    const refetch: Refetch = {};
    refetches.set(service, refetch);
    const claimedAt = performance.now();
    claim(`refetch:${service}`, minIntervalMs)
      .then((won) => {
        if (closed) return;
        if (won) return pull(service, wanted.why);
        // A claim held now was taken less than an interval ago. When the announcement is older than that,
        // the holder claimed, and so pulls, after it: this replica may forget it. Otherwise it asks again.
        if (claimedAt - wanted.at < minIntervalMs) refetch.pending ??= wanted;
        else log.debug("another replica pulls the lists after this announcement", { service, why: wanted.why });
      })
      .catch((error) => log.warn("pulling a service's lists again failed", { service, why: wanted.why, error }))
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
    start(service, pending);
  };

  return {
    request(service, why) {
      if (closed) return;
      const wanted = { why, at: performance.now() };
      const refetch = refetches.get(service);
      // A pull that is running may have read the lists before this change: one more follows it.
      if (refetch) refetch.pending = wanted;
      else start(service, wanted);
    },
    close() {
      closed = true;
      for (const { pause } of refetches.values()) clearTimeout(pause);
      refetches.clear();
    },
  };
}
