/**
 * How what a backend sends outside any call reaches the client of a session, and back. The backend's
 * session of that client may live on any replica (each opens its own when the client's call reaches
 * it), while the client's GET stream is held by one: so messages for the client are published on the
 * session's channel, which the replica holding the stream listens to. A request whose publication no
 * replica heard (the client has no GET stream open) is refused at once rather than left waiting. The
 * client's answers travel as during a call (client-requests.ts), and its notifications to the backends
 * (roots/list_changed), posted to any replica, are published to every replica holding its backend
 * sessions.
 */
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { ClientLink } from "../federation/client-backend-sessions.ts";
import type { Notification } from "../federation/json-rpc-exchange.ts";
import type { ClientRequests } from "./client-requests.ts";
import type { SessionBus } from "./session-bus.ts";
import type { Session } from "./session-ids.ts";

export interface ClientLinks {
  linkFor(session: Session): ClientLink;
  /** Writes what backends send the session's client to `write` (a GET stream of it) until the returned function is called. */
  attach(sessionKey: string, write: (message: object) => void): () => void;
  /** Passes a notification of the client on to its backend sessions, on every replica. */
  relay(sessionKey: string, notification: Notification): Promise<void>;
}

const toClient = (sessionKey: string) => `sessions:${sessionKey}:to-client`;
const toBackends = (sessionKey: string) => `sessions:${sessionKey}:to-backends`;

export function createClientLinks({
  bus,
  clientRequests,
}: {
  bus: SessionBus;
  clientRequests: ClientRequests;
}): ClientLinks {
  const publish = (sessionKey: string, message: object) => bus.publish(toClient(sessionKey), JSON.stringify(message));
  return {
    linkFor: (session) => ({
      key: session.key,
      notify(_service, notification) {
        // Best effort, as a notification on a stream is: nobody listening means nobody to tell.
        publish(session.key, { jsonrpc: "2.0", ...notification }).catch(() => {});
      },
      ask: (_service, request, signal) =>
        clientRequests.ask(
          session,
          request,
          async (message) => {
            if ((await publish(session.key, message)) > 0) return;
            throw new ProtocolError(
              ProtocolErrorCode.InternalError,
              `The gateway cannot pass "${request.method}" on to the client: it has no GET stream open to receive it`,
            );
          },
          signal,
        ),
      watch: (listener) => bus.subscribe(toBackends(session.key), (text) => listener(JSON.parse(text) as Notification)),
    }),
    attach: (sessionKey, write) => bus.subscribe(toClient(sessionKey), (text) => write(JSON.parse(text) as object)),
    async relay(sessionKey, notification) {
      await bus.publish(toBackends(sessionKey), JSON.stringify(notification));
    },
  };
}
