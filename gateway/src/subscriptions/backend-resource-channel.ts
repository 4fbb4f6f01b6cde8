/**
 * One backend session for resource subscriptions: a session of its own (not the pool's shared one,
 * which may be retired and replaced at any failed call) with its standalone event stream open before
 * anything is subscribed, so that `notifications/resources/updated` sent after a subscribe was answered
 * reaches the gateway. A list change the backend announces on that stream is passed on too: outside a
 * call, the gateway would otherwise not hear of it. A stream that is cut is reopened by the reader; one
 * that stops for good (the backend forgot the session, or restarted) ends the channel, and its owner
 * subscribes again on a new one. A 2026-07-28 backend has no sessions; its channel is a listen stream
 * instead (listen-resource-channel.ts).
 */
import { type FetchLike, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { openBackendEventStream } from "../federation/backend-event-stream.ts";
import { createBackendSession, type OpenedSession } from "../federation/backend-session.ts";
import type { HttpTarget } from "../federation/mcp-connection.ts";
import { isModernRevision } from "../federation/modern-wire.ts";
import { TransportFailure } from "../federation/transport-failure.ts";
import { openListenResourceChannel } from "./listen-resource-channel.ts";

export interface ResourceChannel {
  subscribe(uri: string): Promise<void>;
  unsubscribe(uri: string): Promise<void>;
  /** Settles when the backend's stream is over (it restarted, forgot the session, or went away), with why. */
  readonly ended: Promise<string | undefined>;
  close(): void;
}

export interface ResourceChannelOptions {
  target: HttpTarget;
  fetch: FetchLike;
  connectTimeoutMs: number;
  /** Longest a subscribe or unsubscribe may wait for its answer. */
  requestTimeoutMs: number;
  maxEventBytes: number;
  /** Why the backend's URL must not be connected to now, if so (see BackendSessionOptions.refuse). */
  refuse?: (url: string) => Promise<string | undefined>;
  /** A `notifications/resources/updated` of the backend's; must not throw. */
  onupdated: (uri: string, params: Record<string, unknown>) => void;
  /** The backend announced that its tools, resources or prompts changed; must not throw. */
  onlistchanged: () => void;
}

const LIST_CHANGED = new Set([
  "notifications/tools/list_changed",
  "notifications/resources/list_changed",
  "notifications/prompts/list_changed",
]);

export async function openResourceChannel({
  target,
  fetch,
  connectTimeoutMs,
  requestTimeoutMs,
  maxEventBytes,
  refuse,
  onupdated,
  onlistchanged,
}: ResourceChannelOptions): Promise<ResourceChannel> {
  // A 2026-07-28 backend has no sessions: its updates come on a listen that names the resources.
  if (isModernRevision(target.revision))
    return openListenResourceChannel({ target, fetch, requestTimeoutMs, maxEventBytes, refuse, onupdated });
  let opened: OpenedSession | undefined;
  const session = createBackendSession({
    target,
    fetch,
    connectTimeoutMs,
    refuse,
    onopened: (session) => {
      opened = session;
      return undefined;
    },
  });
  try {
    await session.request("ping", {}, { timeoutMs: connectTimeoutMs });
    if (!opened?.sessionId)
      throw new TransportFailure("the service keeps no sessions, so it cannot send resource updates");
    const { promise: ended, resolve: end } = Promise.withResolvers<string | undefined>();
    const stream = openBackendEventStream({
      fetch,
      url: opened.url,
      headers: opened.headers,
      timeoutMs: connectTimeoutMs,
      maxEventBytes,
      onnotification: ({ method, params }) => {
        const uri = (params as Record<string, unknown> | undefined)?.uri;
        if (method === "notifications/resources/updated" && typeof uri === "string")
          onupdated(uri, params as Record<string, unknown>);
        else if (LIST_CHANGED.has(method)) onlistchanged();
      },
      // No client stands behind this session: only a ping is the gateway's to answer.
      onrequest: async (request) => {
        if (request.method === "ping") return {};
        throw new ProtocolError(
          ProtocolErrorCode.MethodNotFound,
          "The gateway's subscription session takes no requests",
        );
      },
      onstop: end,
    });
    const refused = await stream.ready;
    if (refused !== undefined) {
      stream.close();
      throw new TransportFailure(refused);
    }
    const request = async (method: string, uri: string) => {
      await session.request(method, { uri }, { timeoutMs: requestTimeoutMs });
    };
    return {
      subscribe: (uri) => request("resources/subscribe", uri),
      unsubscribe: (uri) => request("resources/unsubscribe", uri),
      ended,
      close() {
        end(undefined);
        stream.close();
        session.close();
      },
    };
  } catch (error) {
    session.close();
    throw error;
  }
}
