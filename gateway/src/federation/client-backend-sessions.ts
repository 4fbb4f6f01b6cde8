/**
 * Backend sessions of one client each. A stateful backend sends what belongs to no call (sampling,
 * elicitation and roots requests, log messages, resource updates) on its session's event stream, so a
 * shared session cannot tell whose it is. A client with a session of its own at the gateway gets one of
 * its own with each backend it uses: opened on first use, its event stream read while it is open, what
 * comes on it handed to the client's link, and the client's calls sent in it, so the backend ties them
 * to the same session as what it sends later.
 *
 * Each replica opens its own (a client's calls reach either replica), at most `max` at once: beyond it
 * the least recently used one without a call in flight is closed, and when all are busy the client's
 * call goes through the shared session. A session is closed when it has been idle for `idleMs`, when
 * the client's session ends, and when its backend leaves the registry or changes. A backend found not
 * to keep sessions is served through the shared one for every client from then on.
 */
import type { Logger } from "../logger.ts";
import type { BackendEventStream, BackendEventStreamOptions } from "./backend-event-stream.ts";
import type { BackendSession, HttpBackendSession, OpenedSession } from "./backend-session.ts";
import type { BackendRequest, Notification } from "./json-rpc-exchange.ts";
import type { HttpTarget } from "./mcp-connection.ts";

/** Per replica: sessions open at once, and how long one may go unused before it is closed. */
export const DEFAULT_CLIENT_BACKEND_SESSIONS = { max: 1000, idleMs: 5 * 60 * 1000 };

/** What the gateway knows of a client that has a session with it: where a backend's messages to it go. */
export interface ClientLink {
  /** Names the client's session; its backend sessions are its own. */
  key: string;
  /** A notification a backend sent outside any call. Must not throw. */
  notify(service: string, notification: Notification): void;
  /** A request a backend sent outside any call: the client's result, or thrown (a ProtocolError keeps its code). */
  ask(service: string, request: BackendRequest, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Listens for the client's notifications to its backends (roots/list_changed) until the returned function is called. */
  watch(listener: (notification: Notification) => void): () => void;
}

/** A backend session and the requests using it; a retired one closes once they are over. */
export interface Connection {
  session: BackendSession;
  inFlight: number;
  retired: boolean;
  /** Run once when the connection is closed. */
  onclose?: () => void;
}

export interface ClientBackendSessions {
  /** The client's own connection with the backend, opened now if need be; undefined when the shared one must do. */
  use(target: HttpTarget, link: ClientLink): Connection | undefined;
  /** Closes the connections with `service` (it left the registry or changed) and forgets what was learnt of it. */
  forget(service: string): void;
  /** Closes the connections of the client whose session ended. */
  end(clientKey: string): void;
}

export interface ClientBackendSessionsOptions {
  max: number;
  idleMs: number;
  openSession: (
    target: HttpTarget,
    onopened: (session: OpenedSession) => Promise<unknown> | undefined,
  ) => HttpBackendSession;
  /** Opens the event stream of a session (see backend-event-stream.ts for the handlers). */
  openStream: (
    session: OpenedSession,
    handlers: Pick<BackendEventStreamOptions, "onnotification" | "onrequest" | "onstop">,
  ) => BackendEventStream;
  /** Closes a connection no request uses any longer (the pool's own closing). */
  close: (connection: Connection) => void;
  /** Takes the notifications meant for the gateway itself (list changes), returning true for those. */
  takesNotification: (service: string, notification: Notification) => boolean;
  log: Logger;
}

interface Own {
  connection: Connection;
  session: HttpBackendSession;
  service: string;
  client: Client;
  idle: ReturnType<typeof setTimeout>;
  /** Requests of the backend waiting for the client's answer (a person may be filling in a form). */
  asking: number;
  stream?: BackendEventStream;
}

interface Client {
  link: ClientLink;
  sessions: Map<string, Own>;
  unwatch: () => void;
}

export function createClientBackendSessions(options: ClientBackendSessionsOptions): ClientBackendSessions {
  const { max, idleMs, log } = options;
  const clients = new Map<string, Client>();
  /** Every open one, least recently used first. */
  const byUse = new Map<Connection, Own>();
  const withoutSessions = new Set<string>();

  const forgetOwn = (own: Own) => {
    clearTimeout(own.idle);
    own.stream?.close();
    own.stream = undefined;
    byUse.delete(own.connection);
    const { client } = own;
    if (client.sessions.get(own.service) === own) client.sessions.delete(own.service);
    if (client.sessions.size === 0 && clients.get(client.link.key) === client) {
      clients.delete(client.link.key);
      client.unwatch();
    }
  };

  const retire = (own: Own) => {
    forgetOwn(own);
    own.connection.retired = true;
    if (own.connection.inFlight === 0) options.close(own.connection);
  };

  const clientOf = (link: ClientLink): Client => {
    const existing = clients.get(link.key);
    if (existing) return existing;
    const client: Client = { link, sessions: new Map(), unwatch: () => {} };
    clients.set(link.key, client);
    client.unwatch = link.watch((notification) => {
      for (const own of client.sessions.values()) own.session.notify(notification).catch(() => {});
    });
    return client;
  };

  /** Opens the session's event stream; settles once the backend has it (see BackendEventStream.ready). */
  const listen = (own: Own, opened: OpenedSession): Promise<unknown> | undefined => {
    own.stream?.close();
    own.stream = undefined;
    if (own.connection.retired) return;
    if (opened.sessionId === undefined) {
      withoutSessions.add(own.service);
      retire(own);
      return;
    }
    const { service, client } = own;
    own.stream = options.openStream(opened, {
      onnotification(notification) {
        if (notification.method === "notifications/progress" || options.takesNotification(service, notification))
          return;
        client.link.notify(service, notification);
      },
      async onrequest(request, signal) {
        // The gateway is the backend's client here: a ping is its to answer.
        if (request.method === "ping") return {};
        own.asking++;
        try {
          return await client.link.ask(service, request, signal);
        } finally {
          own.asking--;
          own.idle.refresh();
        }
      },
      onstop: (reason) => log.debug("backend event stream stopped", { service, reason }),
    });
    return own.stream.ready;
  };

  const open = (target: HttpTarget, link: ClientLink): Connection => {
    const service = target.name;
    const session = options.openSession(target, (opened) => listen(own, opened));
    const connection: Connection = {
      session,
      inFlight: 0,
      retired: false,
      onclose() {
        forgetOwn(own);
        log.debug("client's own backend session closed", { service });
      },
    };
    const idle = setTimeout(() => {
      if (connection.inFlight > 0 || own.asking > 0) idle.refresh();
      else retire(own);
    }, idleMs);
    idle.unref();
    const own: Own = { service, client: clientOf(link), connection, session, idle, asking: 0 };
    own.client.sessions.set(service, own);
    byUse.set(connection, own);
    log.debug("client's own backend session opened", { service, open: byUse.size });
    return connection;
  };

  /** Closes the least recently used connection without a request in flight; false when there is none. */
  const evict = (): boolean => {
    for (const own of byUse.values()) {
      if (own.connection.inFlight > 0) continue;
      retire(own);
      return true;
    }
    return false;
  };

  return {
    use(target, link) {
      if (max === 0 || withoutSessions.has(target.name)) return undefined;
      const own = clients.get(link.key)?.sessions.get(target.name);
      if (own && !own.connection.retired) {
        own.idle.refresh();
        byUse.delete(own.connection);
        byUse.set(own.connection, own);
        return own.connection;
      }
      if (own) forgetOwn(own);
      if (byUse.size >= max && !evict()) return undefined;
      return open(target, link);
    },
    forget(service) {
      withoutSessions.delete(service);
      for (const own of [...byUse.values()]) if (own.service === service) retire(own);
    },
    end(clientKey) {
      const client = clients.get(clientKey);
      if (client) for (const own of [...client.sessions.values()]) retire(own);
    },
  };
}
