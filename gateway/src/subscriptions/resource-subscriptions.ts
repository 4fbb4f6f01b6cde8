/**
 * This replica's subscriptions to backends' resources: one backend subscription per (service, URI)
 * however many subscribers want it, on one channel per service (backend-resource-channel.ts), taken by
 * the first subscriber and given back by the last. A channel whose stream ends while subscriptions
 * remain is opened again and everything resubscribed, with growing pauses while the backend stays away;
 * a service that leaves the registry (or moves) takes its subscriptions with it.
 */
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { BackendTarget, HttpTarget } from "../federation/mcp-connection.ts";
import { describeFailure } from "../federation/transport-failure.ts";
import type { Logger } from "../logger.ts";
import type { ResourceChannel, ResourceChannelOptions } from "./backend-resource-channel.ts";

export interface ResourceSubscriptions {
  /**
   * `subscriber` wants updates of `uri`, which `service` serves; resolves once the backend took the
   * subscription (at once when another subscriber holds it). Throws as the backend refuses it.
   */
  subscribe(subscriber: string, service: string, uri: string): Promise<void>;
  unsubscribe(subscriber: string, uri: string): void;
  holds(subscriber: string, uri: string): boolean;
  /** How many URIs `subscriber` holds. */
  count(subscriber: string): number;
  /** Everything `subscriber` holds, as when its session or stream ended. */
  drop(subscriber: string): void;
  /** Follows the registry: the subscriptions of services gone or changed are dropped. */
  sync(targets: readonly BackendTarget[]): void;
  /** The (service, URI) pairs held. */
  readonly size: number;
  close(): void;
}

export interface ResourceSubscriptionsDeps {
  open: (options: Pick<ResourceChannelOptions, "target" | "onupdated">) => Promise<ResourceChannel>;
  /** An update of `uri` for its subscribers here; must not throw. */
  onupdated: (uri: string, params: Record<string, unknown>, subscribers: readonly string[]) => void;
  log: Logger;
}

/** The first pause before a lost channel is opened again; it doubles with every failure, up to the longest. */
const RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

interface Held {
  subscribers: Set<string>;
  /** Settles when the backend took (or refused) the subscription on the current channel. */
  subscribed: Promise<void>;
}

interface Service {
  target: HttpTarget;
  uris: Map<string, Held>;
  channel?: Promise<ResourceChannel>;
  retry?: ReturnType<typeof setTimeout>;
  failures: number;
}

export function createResourceSubscriptions({
  open,
  onupdated,
  log,
}: ResourceSubscriptionsDeps): ResourceSubscriptions {
  const targets = new Map<string, BackendTarget>();
  const services = new Map<string, Service>();

  const channelOf = (service: Service): Promise<ResourceChannel> => {
    if (service.channel) return service.channel;
    const opened = open({
      target: service.target,
      onupdated: (uri, params) => {
        // The stream works: a later loss starts again with the shortest pause.
        service.failures = 0;
        const held = service.uris.get(uri);
        if (held && services.get(service.target.name) === service) onupdated(uri, params, [...held.subscribers]);
      },
    });
    service.channel = opened;
    opened.then(
      (channel) => void channel.ended.then((reason) => lost(service, opened, reason)),
      () => {
        if (service.channel === opened) service.channel = undefined;
      },
    );
    return opened;
  };

  /** The channel's stream ended: open another and subscribe again, if anything is still wanted. */
  const lost = (service: Service, channel: Promise<ResourceChannel>, reason?: string) => {
    if (service.channel !== channel) return;
    service.channel = undefined;
    void channel.then((c) => c.close());
    retryLater(service, reason);
  };

  const retryLater = (service: Service, reason: string | undefined) => {
    if (service.uris.size === 0 || services.get(service.target.name) !== service) return;
    const delay = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** service.failures);
    service.failures++;
    log.info("a service's stream of resource updates ended; subscribing again", {
      service: service.target.name,
      reason,
      delayMs: delay,
    });
    if (service.retry) clearTimeout(service.retry);
    service.retry = setTimeout(() => {
      service.retry = undefined;
      resubscribe(service);
    }, delay);
    service.retry.unref?.();
  };

  const resubscribe = (service: Service) => {
    if (services.get(service.target.name) !== service || service.uris.size === 0) return;
    const channel = channelOf(service);
    const all = [...service.uris].map(([uri, held]) => {
      held.subscribed = channel.then((c) => c.subscribe(uri));
      return held.subscribed;
    });
    Promise.all(all).catch((error: unknown) => {
      // Given up whole, opened or not, so that the next try starts afresh.
      if (service.channel === channel) service.channel = undefined;
      void channel.then(
        (c) => c.close(),
        () => {},
      );
      retryLater(service, describeFailure(error));
    });
  };

  const forget = (service: Service) => {
    services.delete(service.target.name);
    if (service.retry) clearTimeout(service.retry);
    void service.channel?.then(
      (c) => c.close(),
      () => {},
    );
    service.channel = undefined;
  };

  const release = (service: Service, uri: string) => {
    service.uris.delete(uri);
    if (service.uris.size === 0) {
      forget(service);
      return;
    }
    // Best effort: the backend sending one more update than wanted costs nothing.
    void service.channel?.then((c) => c.unsubscribe(uri)).catch(() => {});
  };

  const serviceOf = (name: string): Service => {
    const existing = services.get(name);
    if (existing) return existing;
    const target = targets.get(name);
    if (!target) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Service "${name}" is not registered`);
    if (!("url" in target))
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `Service "${name}" runs over stdio; the gateway does not pass on subscriptions to its resources`,
      );
    const service: Service = { target, uris: new Map(), failures: 0 };
    services.set(name, service);
    return service;
  };

  return {
    async subscribe(subscriber, name, uri) {
      const service = serviceOf(name);
      let held = service.uris.get(uri);
      if (!held) {
        held = { subscribers: new Set(), subscribed: channelOf(service).then((c) => c.subscribe(uri)) };
        service.uris.set(uri, held);
      }
      held.subscribers.add(subscriber);
      const own = held;
      try {
        await own.subscribed;
      } catch (error) {
        // Not held for this subscriber. Once every subscriber waiting on it is gone, the next one asks the backend again.
        if (own.subscribers.delete(subscriber) && own.subscribers.size === 0 && service.uris.get(uri) === own)
          release(service, uri);
        throw error;
      }
    },
    unsubscribe(subscriber, uri) {
      for (const service of [...services.values()]) {
        const held = service.uris.get(uri);
        if (held?.subscribers.delete(subscriber) && held.subscribers.size === 0) release(service, uri);
      }
    },
    holds: (subscriber, uri) =>
      [...services.values()].some((service) => service.uris.get(uri)?.subscribers.has(subscriber) === true),
    count(subscriber) {
      let count = 0;
      for (const service of services.values())
        for (const held of service.uris.values()) if (held.subscribers.has(subscriber)) count++;
      return count;
    },
    drop(subscriber) {
      for (const service of [...services.values()])
        for (const [uri, held] of [...service.uris])
          if (held.subscribers.delete(subscriber) && held.subscribers.size === 0) release(service, uri);
    },
    sync(next) {
      targets.clear();
      for (const target of next) targets.set(target.name, target);
      for (const service of [...services.values()]) {
        const target = targets.get(service.target.name);
        if (target && JSON.stringify(target) === JSON.stringify(service.target)) continue;
        forget(service);
      }
    },
    get size() {
      let count = 0;
      for (const service of services.values()) count += service.uris.size;
      return count;
    },
    close() {
      for (const service of [...services.values()]) forget(service);
    },
  };
}
