/**
 * Sessions ended by DELETE /mcp. A sealed id stays valid until it expires, so ending one early needs
 * every replica to know: the revocation is announced on the session bus and each replica remembers it
 * until the id would have expired anyway. Checking is a lookup in memory, keeping Redis off the request
 * path. The price: a replica that starts (or is cut off from Redis) after the announcement does not
 * know of it, and would accept the id until it expires.
 *
 * Entries leave when their id expires, so memory holds at most the revocations of one session TTL.
 * They are kept in the order they arrived and pruned from the front, which keeps each revocation O(1)
 * however many are remembered. An expired entry behind a live one waits for it, but never longer than
 * the TTL: every entry expires at most one TTL after it arrived.
 */
import type { Logger } from "../logger.ts";

import type { SessionBus } from "./session-bus.ts";
import type { Session } from "./session-ids.ts";

const CHANNEL = "sessions:revoked";

/** Calls `listener` with the key of every session ended on any replica, until the returned function is called. */
export function onSessionRevoked(bus: SessionBus, listener: (sessionKey: string) => void): () => void {
  return bus.subscribe(CHANNEL, (message) => {
    const [key] = message.split(" ");
    if (key) listener(key);
  });
}

export interface RevokedSessions {
  revoke(session: Session): Promise<void>;
  has(session: Session): boolean;
  /** How many revocations are remembered. */
  readonly size: number;
  close(): void;
}

export function createRevokedSessions({
  bus,
  log,
  now = Date.now,
  onrevoke,
}: {
  bus: SessionBus;
  log: Logger;
  now?: () => number;
  /** Told of each revocation, made here or on another replica (possibly more than once). */
  onrevoke?: (sessionKey: string) => void;
}): RevokedSessions {
  /** Session key to expiry, in the order revocations arrived (a Map iterates in insertion order). */
  const revoked = new Map<string, number>();
  const remember = (key: string, expiresAt: number) => {
    const time = now();
    for (const [k, expiry] of revoked) {
      if (expiry > time) break;
      revoked.delete(k);
    }
    if (expiresAt > time) revoked.set(key, expiresAt);
    onrevoke?.(key);
  };
  const unsubscribe = bus.subscribe(CHANNEL, (message) => {
    const [key, expiresAt] = message.split(" ");
    if (key && Number.isFinite(Number(expiresAt))) remember(key, Number(expiresAt));
  });
  return {
    async revoke(session) {
      // Known here at once, whatever the bus does; the other replicas learn it from the bus, when it
      // works. The session has ended either way, so a bus outage is logged rather than failing the DELETE.
      remember(session.key, session.expiresAt);
      await bus
        .publish(CHANNEL, `${session.key} ${session.expiresAt}`)
        .catch((error: unknown) =>
          log.warn("session ended here, but other replicas could not be told (session bus unavailable)", { error }),
        );
    },
    has: (session) => revoked.has(session.key),
    get size() {
      return revoked.size;
    },
    close: unsubscribe,
  };
}
