/**
 * Messages between the replicas about sessions (revocations, cancellations): Redis pub/sub when the
 * gateway has a Redis server, otherwise this process only, which is all a single replica needs.
 * Delivery is best effort, like the pub/sub it rests on: a replica that is disconnected misses messages.
 */
import type { Redis } from "ioredis";

export interface SessionBus {
  readonly kind: "redis" | "memory";
  /** Resolves with how many replicas listen on `channel` (Redis counts its subscribed connections). */
  publish(channel: string, message: string): Promise<number>;
  /** Listens on `channel` (on every replica, this one included) until the returned function is called. */
  subscribe(channel: string, listener: (message: string) => void): () => void;
  close(): Promise<void>;
}

type Listener = (message: string) => void;

/** Redis at `redisUrl` (channels named under `keyPrefix`), or an in-process bus without it. */
export async function createSessionBus({
  redisUrl,
  keyPrefix,
}: {
  redisUrl?: string;
  keyPrefix: string;
}): Promise<SessionBus> {
  return redisUrl ? createRedisSessionBus(redisUrl, keyPrefix) : createMemorySessionBus();
}

function createMemorySessionBus(): SessionBus {
  const channels = new Map<string, Set<Listener>>();
  return {
    kind: "memory",
    async publish(channel, message) {
      const listeners = channels.get(channel) ?? new Set();
      // Asynchronous like a Redis message, so that a publisher never runs listeners inside its own call.
      for (const listener of listeners) queueMicrotask(() => listener(message));
      return listeners.size;
    },
    subscribe: (channel, listener) => addListener(channels, channel, listener, () => {}),
    async close() {
      channels.clear();
    },
  };
}

async function createRedisSessionBus(url: string, keyPrefix: string): Promise<SessionBus> {
  // Imported only with a Redis server: a single replica would otherwise hold ioredis in memory for nothing.
  const { Redis } = await import("ioredis");
  // Fail fast while Redis is down rather than queue: a late cancellation is worth nothing.
  const options = { connectTimeout: 2_000, commandTimeout: 2_000, maxRetriesPerRequest: 0 };
  const publisher = new Redis(url, options);
  publisher.on("error", () => {});
  let subscriber: Redis | undefined;
  const channels = new Map<string, Set<Listener>>();

  const startSubscriber = (): Redis => {
    // Resubscribes to its channels after each reconnect (ioredis' autoResubscribe).
    const connection = new Redis(url, { connectTimeout: 2_000, maxRetriesPerRequest: 0 });
    connection.on("error", () => {});
    connection.on("message", (name: string, message: string) => {
      for (const listener of channels.get(name.slice(keyPrefix.length)) ?? []) listener(message);
    });
    return connection;
  };

  return {
    kind: "redis",
    publish: (channel, message) => publisher.publish(keyPrefix + channel, message),
    subscribe(channel, listener) {
      subscriber ??= startSubscriber();
      const connection = subscriber;
      return addListener(channels, channel, listener, (first) => {
        const command = first ? connection.subscribe(keyPrefix + channel) : connection.unsubscribe(keyPrefix + channel);
        command.catch(() => {});
      });
    },
    async close() {
      channels.clear();
      await Promise.all([publisher, subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
    },
  };
}

/**
 * Adds a listener; `toggle(true)` runs when a channel gets its first listener, `toggle(false)` when it
 * loses its last, so that Redis only sends this replica the channels someone here listens to.
 */
function addListener(
  channels: Map<string, Set<Listener>>,
  channel: string,
  listener: Listener,
  toggle: (first: boolean) => void,
): () => void {
  let listeners = channels.get(channel);
  if (!listeners) {
    listeners = new Set();
    channels.set(channel, listeners);
    toggle(true);
  }
  const own = listeners;
  own.add(listener);
  return () => {
    if (!own.delete(listener) || own.size > 0 || channels.get(channel) !== own) return;
    channels.delete(channel);
    toggle(false);
  };
}
