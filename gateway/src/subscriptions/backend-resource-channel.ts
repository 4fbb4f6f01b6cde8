/**
 * One backend session for resource subscriptions: a session of its own (not the pool's shared one,
 * which may be retired and replaced at any failed call) with its standalone event stream open before
 * anything is subscribed, so that `notifications/resources/updated` sent after a subscribe was answered
 * reaches the gateway. A list change the backend announces on that stream is passed on too: outside a
 * call, the gateway would otherwise not hear of it.
 *
 * backend-session.ts keeps its handshake to itself; the session's id and headers are read off the
 * requests it sends, so that this module needs nothing more from it.
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { mcpEndpoint } from "../federation/backend-endpoint.ts";
import { openBackendEventStream } from "../federation/backend-event-stream.ts";
import { createBackendSession } from "../federation/backend-session.ts";
import type { HttpTarget } from "../federation/mcp-connection.ts";
import { TransportFailure } from "../federation/transport-failure.ts";

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

const SESSION_HEADER = "mcp-session-id";

/**
 * Longest wait for a backend to accept its event stream before subscribing. A backend that sends no
 * headers before its first event (SDK servers on Bun) is taken to have the stream after it: an update
 * it sent before reading the GET would be lost.
 */
const STREAM_SETTLE_MS = 1000;

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
  let sessionHeaders: Record<string, string> | undefined;
  const noting: FetchLike = (url, init) => {
    const headers = new Headers(init?.headers);
    if (!headers.has(SESSION_HEADER)) return fetch(url, init);
    sessionHeaders = {};
    headers.forEach((value, name) => {
      if (name !== "content-type" && sessionHeaders) sessionHeaders[name] = value;
    });
    return fetch(url, init);
  };
  const session = createBackendSession({ target, fetch: noting, connectTimeoutMs, refuse });
  try {
    // Opens the session; the ping itself carries its headers.
    await session.request("ping", {}, { timeoutMs: connectTimeoutMs });
    if (!sessionHeaders)
      throw new TransportFailure("the service keeps no sessions, so it cannot send resource updates");
    const stream = openBackendEventStream({
      fetch,
      url: mcpEndpoint(target.url),
      headers: sessionHeaders,
      maxEventBytes,
      onmessage: (message) => {
        const params = message.params as Record<string, unknown> | undefined;
        if (message.method === "notifications/resources/updated" && typeof params?.uri === "string")
          onupdated(params.uri, params);
        else if (typeof message.method === "string" && LIST_CHANGED.has(message.method)) onlistchanged();
      },
    });
    let settle: ReturnType<typeof setTimeout> | undefined;
    const refused = await Promise.race([
      stream.opened.then(() => undefined),
      stream.ended.then((reason) => reason ?? "the event stream ended"),
      new Promise<undefined>((resolve) => {
        settle = setTimeout(() => resolve(undefined), STREAM_SETTLE_MS);
      }),
    ]);
    clearTimeout(settle);
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
      ended: stream.ended,
      close() {
        stream.close();
        session.close();
      },
    };
  } catch (error) {
    session.close();
    throw error;
  }
}
