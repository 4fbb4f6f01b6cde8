/**
 * Clients' subscriptions to resources, on whichever replica they are connected to.
 *
 * - 2025 sessions (`resources/subscribe`, `resources/unsubscribe`) may send each request to another
 *   replica. The replica that takes a subscribe holds the backend subscription for the session and
 *   tells the others to let go of one they held for it, so a client that alternates replicas gets each
 *   update once; an unsubscribe is told to every replica, and so is a session ended with DELETE. An
 *   update travels over the session bus to the replica holding the session's GET stream. An expired
 *   session is let go when an update or a subscribe finds it expired.
 * - Each update is checked against the subscriber's view as it is then, so a caller whose permissions
 *   or virtual server no longer cover the resource stops hearing of it.
 * - 2026-07-28 `subscriptions/listen` streams: the replica holding the stream holds the backend
 *   subscriptions for the URIs its filter names while the stream is open, and delivers their updates
 *   itself.
 *
 * A URI is subscribed only where the caller's view can read it, at the service that serves it there.
 */

import type { ServerEvent } from "@modelcontextprotocol/server";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { templateOwners } from "../access/catalog-filter.ts";
import { notPermitted } from "../access/not-permitted.ts";
import type { CatalogView } from "../catalog/catalog.ts";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import type { BackendTarget } from "../federation/mcp-connection.ts";
import { describeFailure } from "../federation/transport-failure.ts";
import type { Logger } from "../logger.ts";
import { RESOURCE_NOT_FOUND } from "../mcp/json-rpc-errors.ts";
import { onSessionRevoked } from "../sessions/revoked-sessions.ts";
import type { SessionBus } from "../sessions/session-bus.ts";
import type { Session } from "../sessions/session-ids.ts";
import type { ResourceSubscriptions, ResourceSubscriptionsDeps } from "./resource-subscriptions.ts";
import { createResourceSubscriptions } from "./resource-subscriptions.ts";

export interface ResourceUpdates {
  subscribeSession(session: Session, catalog: CatalogView, uri: string): Promise<void>;
  unsubscribeSession(session: Session, uri: string): Promise<void>;
  /** Holds the URIs of a listen stream's filter that `catalog` can read, until the returned function is called. */
  holdForListen(catalog: CatalogView, uris: readonly string[]): () => void;
  sync(targets: readonly BackendTarget[]): void;
  /** The (service, URI) pairs this replica holds at backends. */
  readonly size: number;
  close(): void;
}

export interface ResourceUpdatesDeps extends Pick<ResourceSubscriptionsDeps, "open"> {
  sessionBus: SessionBus;
  /** Sends a notification on a session's GET stream if this replica holds it. */
  toSession: (sessionKey: string, notification: { method: string; params: Record<string, unknown> }) => void;
  /** Delivers an event to this replica's listen streams. */
  toListeners: (event: ServerEvent) => void;
  log: Logger;
}

/** Most URIs one session or listen stream may hold, so that no client can make a replica hold without bound. */
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 100;

const UPDATES = "resources:updated";
const RELEASED = "resources:released";
const SESSION = "session:";
const LISTEN = "listen:";

const offered = new WeakMap<CatalogSnapshot, boolean>();

/**
 * Whether a resource or template of this view belongs to a service that takes subscriptions: the
 * capability is announced only then. Remembered per view, which lives as long as its catalog version.
 */
export function offersResourceSubscriptions(view: CatalogSnapshot): boolean {
  let offers = offered.get(view);
  if (offers === undefined) {
    offers = findsSubscribable(view);
    offered.set(view, offers);
  }
  return offers;
}

function findsSubscribable(view: CatalogSnapshot): boolean {
  const subscribable = new Set(view.services.filter((s) => s.resourceSubscribe && s.url !== null).map((s) => s.name));
  if (subscribable.size === 0) return false;
  if (view.resources.some((r) => subscribable.has(view.resourceOwner(r.uri) ?? ""))) return true;
  const owners = templateOwners(view);
  return view.resourceTemplates.some((t) => subscribable.has(owners.get(t.uriTemplate) ?? ""));
}

export function createResourceUpdates({
  sessionBus,
  toSession,
  toListeners,
  log,
  open,
}: ResourceUpdatesDeps): ResourceUpdates {
  const replica = crypto.randomUUID();
  /** Sessions holding subscriptions here: when their ids expire, and the view each URI was subscribed through. */
  const sessions = new Map<string, { expiresAt: number; views: Map<string, CatalogView> }>();

  const pruneExpired = () => {
    const time = Date.now();
    for (const [key, { expiresAt }] of sessions) if (expiresAt <= time) dropSession(key);
  };
  const mayHear = (key: string, uri: string) =>
    sessions.get(key)?.views.get(uri)?.snapshot().resourceOwner(uri) !== undefined;
  const dropSession = (key: string) => {
    sessions.delete(key);
    subscriptions.drop(SESSION + key);
  };

  const subscriptions: ResourceSubscriptions = createResourceSubscriptions({
    open,
    log,
    onupdated(uri, params, subscribers) {
      pruneExpired();
      const keys = subscribers
        .filter((s) => s.startsWith(SESSION))
        .map((s) => s.slice(SESSION.length))
        .filter((key) => mayHear(key, uri));
      if (keys.length > 0) void publish(UPDATES, { uri, params, sessions: keys });
      if (subscribers.some((s) => s.startsWith(LISTEN))) toListeners({ kind: "resource_updated", uri, params });
    },
  });

  const publish = (channel: string, message: object) =>
    sessionBus
      .publish(channel, JSON.stringify(message))
      .catch((error: unknown) => log.warn("other replicas could not be told (session bus unavailable)", { error }));

  const stopUpdates = sessionBus.subscribe(UPDATES, (message) => {
    const update = parse<{ uri: string; params: Record<string, unknown>; sessions: string[] }>(message);
    if (!update || !Array.isArray(update.sessions)) return;
    const notification = { method: "notifications/resources/updated", params: { ...update.params, uri: update.uri } };
    for (const key of update.sessions) if (typeof key === "string") toSession(key, notification);
  });
  const stopReleases = sessionBus.subscribe(RELEASED, (message) => {
    const released = parse<{ session: string; uri: string; from: string; moved: boolean }>(message);
    if (!released || (released.moved && released.from === replica)) return;
    sessions.get(released.session)?.views.delete(released.uri);
    subscriptions.unsubscribe(SESSION + released.session, released.uri);
  });
  const stopRevoked = onSessionRevoked(sessionBus, (key) => {
    if (sessions.has(key)) dropSession(key);
  });

  return {
    async subscribeSession(session, catalog, uri) {
      pruneExpired();
      const service = subscribable(catalog.snapshot(), uri);
      const subscriber = SESSION + session.key;
      if (!subscriptions.holds(subscriber, uri) && subscriptions.count(subscriber) >= MAX_SUBSCRIPTIONS_PER_CLIENT)
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          `A session may hold at most ${MAX_SUBSCRIPTIONS_PER_CLIENT} resource subscriptions; unsubscribe from some first`,
        );
      const held = sessions.get(session.key) ?? { expiresAt: session.expiresAt, views: new Map() };
      held.views.set(uri, catalog);
      sessions.set(session.key, held);
      try {
        await subscriptions.subscribe(subscriber, service, uri);
      } catch (error) {
        if (!subscriptions.holds(subscriber, uri)) held.views.delete(uri);
        if (error instanceof ProtocolError) throw error;
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `Cannot subscribe to "${uri}" at service "${service}": ${describeFailure(error)}`,
          { service },
        );
      }
      await publish(RELEASED, { session: session.key, uri, from: replica, moved: true });
    },
    async unsubscribeSession(session, uri) {
      sessions.get(session.key)?.views.delete(uri);
      subscriptions.unsubscribe(SESSION + session.key, uri);
      await publish(RELEASED, { session: session.key, uri, from: replica, moved: false });
    },
    holdForListen(catalog, uris) {
      const listener = LISTEN + crypto.randomUUID();
      const snapshot = catalog.snapshot();
      if (uris.length > MAX_SUBSCRIPTIONS_PER_CLIENT)
        log.warn("a listen stream names more resources than a client may hold; the rest get no updates", {
          named: uris.length,
          held: MAX_SUBSCRIPTIONS_PER_CLIENT,
        });
      for (const uri of new Set(uris.slice(0, MAX_SUBSCRIPTIONS_PER_CLIENT))) {
        let service: string;
        try {
          service = subscribable(snapshot, uri);
        } catch {
          // Not the caller's to hear of, or not subscribable: the stream simply gets no updates of it.
          continue;
        }
        subscriptions
          .subscribe(listener, service, uri)
          .catch((error: unknown) =>
            log.warn("a listen stream's resource subscription failed", { service, uri, error: describeFailure(error) }),
          );
      }
      return () => subscriptions.drop(listener);
    },
    sync: (targets) => subscriptions.sync(targets),
    get size() {
      return subscriptions.size;
    },
    close() {
      stopUpdates();
      stopReleases();
      stopRevoked();
      subscriptions.close();
    },
  };
}

/** The service a subscription to `uri` goes to in this view, or the error a client gets. */
function subscribable(snapshot: CatalogSnapshot, uri: string): string {
  const name = snapshot.resourceOwner(uri);
  if (name === undefined && snapshot.withheld?.resource(uri)) throw notPermitted(`the resource "${uri}"`);
  if (name === undefined) throw new ProtocolError(RESOURCE_NOT_FOUND, "Resource not found", { uri });
  const service = snapshot.services.find((s) => s.name === name);
  if (!service?.resourceSubscribe)
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRequest,
      `Service "${name}" does not offer subscriptions to its resources`,
      {
        uri,
      },
    );
  return name;
}

function parse<T>(message: string): T | undefined {
  try {
    const value: unknown = JSON.parse(message);
    return typeof value === "object" && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
