/**
 * Sessions ended by DELETE /mcp. A sealed id stays valid until it expires, so ending one early needs
 * every replica to know: the revocation is announced on the session bus and each replica remembers it
 * until the id would have expired anyway. Checking is a lookup in memory, keeping Redis off the request
 * path. The price: a replica that starts (or is cut off from Redis) after the announcement does not
 * know of it, and would accept the id until it expires.
 */

import type { SessionBus } from "./session-bus.ts";
import type { Session } from "./session-ids.ts";

const CHANNEL = "sessions:revoked";

export interface RevokedSessions {
  revoke(session: Session): Promise<void>;
  has(session: Session): boolean;
  close(): void;
}

export function createRevokedSessions({
  bus,
  now = Date.now,
}: {
  bus: SessionBus;
  now?: () => number;
}): RevokedSessions {
  const revoked = new Map<string, number>();
  const remember = (key: string, expiresAt: number) => {
    const time = now();
    for (const [k, expiry] of revoked) if (expiry <= time) revoked.delete(k);
    revoked.set(key, expiresAt);
  };
  const unsubscribe = bus.subscribe(CHANNEL, (message) => {
    const [key, expiresAt] = message.split(" ");
    if (key && Number.isFinite(Number(expiresAt))) remember(key, Number(expiresAt));
  });
  return {
    async revoke(session) {
      // Known here at once, whatever the bus does; the other replicas learn it from the bus.
      remember(session.key, session.expiresAt);
      await bus.publish(CHANNEL, `${session.key} ${session.expiresAt}`);
    },
    has: (session) => revoked.has(session.key),
    close: unsubscribe,
  };
}
