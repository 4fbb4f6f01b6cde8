/**
 * Claims on the version store for work that one replica may do for all. The claim is an economy, not a
 * guarantee anyone depends on: while the store cannot answer (down, or slower than `waitMs`), every claim
 * is granted, so each replica falls back to limiting itself alone rather than holding up the call or
 * announcement that asked, and rather than letting nobody do the work.
 */
import type { Logger } from "../logger.ts";
import { withinTime } from "../within-time.ts";
import type { VersionStore } from "./version-store.ts";

/** True when this replica should do the work named by `key`; it holds the claim for `ttlMs`. Never rejects. */
export type Claim = (key: string, ttlMs: number) => Promise<boolean>;

export interface ReplicaClaimsOptions {
  store: Pick<VersionStore, "claim">;
  log: Logger;
  /** Longest a caller waits for the store's answer before going ahead on its own. */
  waitMs?: number;
}

const DEFAULT_WAIT_MS = 500;

export function createReplicaClaims({ store, log, waitMs = DEFAULT_WAIT_MS }: ReplicaClaimsOptions): Claim {
  // One warning per outage, not one per claim: claims may come with every announcement of a flood.
  let unreachable = false;
  return async (key, ttlMs) => {
    // Nothing to share for no time (an interval of 0); Redis would refuse the command as an invalid expiry.
    if (ttlMs <= 0) return true;
    try {
      const won = await withinTime(store.claim(key, ttlMs), waitMs);
      if (unreachable) log.info("claims are shared between replicas again");
      unreachable = false;
      return won;
    } catch (error) {
      if (!unreachable)
        log.warn("the version store cannot hand out claims; each replica limits itself alone", { error });
      unreachable = true;
      return true;
    }
  };
}
