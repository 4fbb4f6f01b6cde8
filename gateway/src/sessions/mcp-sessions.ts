/**
 * Everything stateful sessions need on one replica, built from the session settings and the bus the
 * replicas share. With MCP_SESSIONS=off the gateway builds none of it and stays purely stateless.
 */
import type { ClientCapabilities } from "@modelcontextprotocol/server";
import type { ClientLink } from "../federation/client-backend-sessions.ts";
import type { Logger } from "../logger.ts";
import { type ClientLinks, createClientLinks } from "./client-links.ts";
import { type AskClient, type ClientRequests, createClientRequests } from "./client-requests.ts";
import { type CallScope, createInFlightCalls, type InFlightCalls } from "./in-flight-calls.ts";
import { createListChangedStreams, type ListChangedStreams } from "./list-changed-streams.ts";
import { createRevokedSessions, type RevokedSessions } from "./revoked-sessions.ts";
import type { SessionBus } from "./session-bus.ts";
import { createSessionIds, type Session, type SessionIds } from "./session-ids.ts";

/**
 * What the calls of one request of a session get: cancellation from any replica, a way to ask the
 * client, and the client's link, which gives it backend sessions of its own.
 */
export interface SessionCallContext {
  session: Session;
  scope: CallScope;
  askClient: AskClient;
  /** What `askClient` may ask (see askableCapabilities), declared to 2026-07-28 backends. */
  askable: ClientCapabilities;
  link: ClientLink;
}

export interface McpSessions {
  issue: SessionIds["issue"];
  /** The session of an id, or undefined when the id is forged, expired or was ended with DELETE. */
  open(id: string): Session | undefined;
  end(session: Session): Promise<void>;
  calls: InFlightCalls;
  clientRequests: ClientRequests;
  links: ClientLinks;
  listChanged: ListChangedStreams;
  close(): void;
}

export function createMcpSessions({
  secret,
  ttlMs,
  bus,
  log,
  onEnded,
}: {
  secret: string;
  ttlMs: number;
  bus: SessionBus;
  log: Logger;
  /** Told when a session ends, here or on another replica (possibly more than once). */
  onEnded?: (sessionKey: string) => void;
}): McpSessions {
  const ids = createSessionIds({ secret, ttlMs });
  const revoked: RevokedSessions = createRevokedSessions({ bus, log, onrevoke: onEnded });
  const listChanged = createListChangedStreams();
  const clientRequests = createClientRequests(bus);
  const calls = createInFlightCalls(bus);
  return {
    issue: ids.issue,
    open(id) {
      const session = ids.open(id);
      return session && !revoked.has(session) ? session : undefined;
    },
    end: (session) => revoked.revoke(session),
    calls,
    clientRequests,
    links: createClientLinks({ bus, clientRequests }),
    listChanged,
    close() {
      clientRequests.close();
      calls.close();
      revoked.close();
      listChanged.close();
    },
  };
}
