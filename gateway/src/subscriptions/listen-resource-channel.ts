/**
 * The resource channel of a 2026-07-28 backend: that revision has no `resources/subscribe`; a client
 * names the resources it wants updates of in the `resourceSubscriptions` of a `subscriptions/listen`.
 * The channel holds one listen naming every URI subscribed on it, and opens it again with the new set
 * when the set changes: the new listen first, the old one closed once the new one is acknowledged, so
 * that no update falls between the two (one may arrive twice, which costs a client a re-read).
 * A subscription is taken once the backend's acknowledgement names its URI.
 */
import { type FetchLike, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { type BackendListen, openBackendListen } from "../federation/backend-listen-stream.ts";
import type { HttpTarget } from "../federation/mcp-connection.ts";
import { TransportFailure } from "../federation/transport-failure.ts";
import type { ResourceChannel } from "./backend-resource-channel.ts";

export interface ListenResourceChannelOptions {
  target: HttpTarget;
  fetch: FetchLike;
  /** Longest a subscribe may wait for the backend's acknowledgement. */
  requestTimeoutMs: number;
  maxEventBytes: number;
  refuse?: (url: string) => Promise<string | undefined>;
  /** A `notifications/resources/updated` of the backend's, for a URI subscribed on the channel; must not throw. */
  onupdated: (uri: string, params: Record<string, unknown>) => void;
}

export function openListenResourceChannel({
  target,
  fetch,
  requestTimeoutMs,
  maxEventBytes,
  refuse,
  onupdated,
}: ListenResourceChannelOptions): ResourceChannel {
  const uris = new Set<string>();
  const { promise: ended, resolve: end } = Promise.withResolvers<string | undefined>();
  let current: BackendListen | undefined;
  let closed = false;
  /** Listens are opened one after the other, each with the set as it is then. */
  let queue: Promise<unknown> = Promise.resolve();

  const listen = async (): Promise<string[]> => {
    if (closed) throw new TransportFailure("the resource channel was closed");
    if (uris.size === 0) {
      current?.close();
      current = undefined;
      return [];
    }
    const opened: BackendListen = openBackendListen({
      target,
      fetch,
      filter: { resourceSubscriptions: [...uris] },
      maxEventBytes,
      refuse,
      onnotification: ({ method, params }) => {
        const uri = (params as Record<string, unknown> | undefined)?.uri;
        if (method === "notifications/resources/updated" && typeof uri === "string" && uris.has(uri))
          onupdated(uri, params as Record<string, unknown>);
      },
      onstop: (reason) => {
        if (current === opened) end(reason);
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`no acknowledgement of its listen within ${requestTimeoutMs} ms`),
        requestTimeoutMs,
      );
    });
    const answer = await Promise.race([opened.acknowledged, timedOut]).finally(() => clearTimeout(timer));
    if (typeof answer === "string" || closed) {
      opened.close();
      throw new TransportFailure(typeof answer === "string" ? answer : "the resource channel was closed");
    }
    const honoured = answer.resourceSubscriptions ?? [];
    // A backend that honours none of them ended that listen already: the one in use stays.
    if (honoured.length === 0) return honoured;
    current?.close();
    current = opened;
    return honoured;
  };

  const relisten = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => {});
    return next;
  };

  return {
    async subscribe(uri) {
      uris.add(uri);
      try {
        const honoured = await relisten(listen);
        if (!honoured.includes(uri))
          throw new ProtocolError(
            ProtocolErrorCode.InvalidRequest,
            `Service "${target.name}" does not take subscriptions to "${uri}"`,
          );
      } catch (error) {
        uris.delete(uri);
        throw error;
      }
    },
    async unsubscribe(uri) {
      if (!uris.delete(uri)) return;
      await relisten(listen);
    },
    ended,
    close() {
      closed = true;
      current?.close();
      current = undefined;
      end(undefined);
    },
  };
}
