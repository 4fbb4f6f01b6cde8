/**
 * Everything stateful sessions need on one replica, built from the session settings and the bus the
 * replicas share. With MCP_SESSIONS=off the gateway builds none of it and stays purely stateless.
 */
import type { Logger } from "../logger.ts";
import { type AskClient, type ClientRequests, createClientRequests } from "./client-requests.ts";
import { type CallScope, createInFlightCalls, type InFlightCalls } from "./in-flight-calls.ts";
import { createListChangedStreams, type ListChangedStreams } from "./list-changed-streams.ts";
import { createRevokedSessions, type RevokedSessions } from "./revoked-sessions.ts";
import type { SessionBus } from "./session-bus.ts";
import { createSessionIds, type Session, type SessionIds } from "./session-ids.ts";

/** What the calls of one request of a session get: cancellation from any replica, and a way to ask the client. */
export interface SessionCallContext {
  scope: CallScope;
  askClient: AskClient;
}

export interface McpSessions {
  issue: SessionIds["issue"];
  /** The session of an id, or undefined when the id is forged, expired or was ended with DELETE. */
  open(id: string): Session | undefined;
  end(session: Session): Promise<void>;
  calls: InFlightCalls;
  clientRequests: ClientRequests;
  listChanged: ListChangedStreams;
  close(): void;
}

export function createMcpSessions({
  secret,
  ttlMs,
  bus,
  log,
}: {
  secret: string;
  ttlMs: number;
  bus: SessionBus;
  log: Logger;
}): McpSessions {
  const ids = createSessionIds({ secret, ttlMs });
  const revoked: RevokedSessions = createRevokedSessions({ bus, log });
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
    listChanged,
    close() {
      clientRequests.close();
      calls.close();
      revoked.close();
      listChanged.close();
    },
  };
}
