/**
 * The GET /mcp event streams of sessions, which carry `notifications/{tools,resources,prompts}/list_changed`
 * when this replica's catalog changes. Every replica reloads its catalog on a new registry version, so
 * a change made through any replica reaches the streams held by all of them. A stream also carries what
 * is meant for its session alone: resource updates (see subscriptions/resource-updates.ts) and, attached
 * per stream, what backends send its client outside calls (see client-links.ts).
 */
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";

export interface ListChangedStreams {
  /** Sends each open stream a notification for every list that differs between the two snapshots. */
  announce(next: CatalogSnapshot, previous: CatalogSnapshot): void;
  /**
   * A new event stream of the session `sessionKey`; it ends when `signal` aborts (the client went away)
   * or on close(). `attach`, when given, is handed a writer of messages meant for this stream alone, and
   * returns its undoing.
   */
  open(signal: AbortSignal, sessionKey?: string, attach?: (write: (message: object) => void) => () => void): Response;
  /** Sends a notification on the streams of one session that this replica holds, if any. */
  notify(sessionKey: string, notification: { method: string; params?: Record<string, unknown> }): void;
  close(): void;
}

const LISTS = [
  { method: "notifications/tools/list_changed", lists: (s: CatalogSnapshot) => [s.tools] },
  { method: "notifications/resources/list_changed", lists: (s: CatalogSnapshot) => [s.resources, s.resourceTemplates] },
  { method: "notifications/prompts/list_changed", lists: (s: CatalogSnapshot) => [s.prompts] },
];

const encoder = new TextEncoder();
const OPENED = encoder.encode(": listening for list changes\n\n");
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

/**
 * @param keepAliveMs how often a comment is sent on quiet streams, so that proxies with an idle timeout
 *   between the client and the gateway do not cut them.
 */
export function createListChangedStreams(keepAliveMs = 15_000): ListChangedStreams {
  /** Each open stream, to the key of its session. */
  const streams = new Map<ReadableStreamDefaultController<Uint8Array>, string | undefined>();
  const detachers = new Map<ReadableStreamDefaultController<Uint8Array>, () => void>();
  let keepAlive: ReturnType<typeof setInterval> | undefined;

  const send = (stream: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    try {
      stream.enqueue(bytes);
    } catch {
      // The client went away between two events.
      forget(stream);
    }
  };
  const forget = (stream: ReadableStreamDefaultController<Uint8Array>) => {
    streams.delete(stream);
    detachers.get(stream)?.();
    detachers.delete(stream);
    if (streams.size === 0 && keepAlive !== undefined) {
      clearInterval(keepAlive);
      keepAlive = undefined;
    }
  };
  const remember = (stream: ReadableStreamDefaultController<Uint8Array>, sessionKey: string | undefined) => {
    streams.set(stream, sessionKey);
    if (keepAlive === undefined) {
      keepAlive = setInterval(() => {
        for (const s of [...streams.keys()]) send(s, KEEP_ALIVE);
      }, keepAliveMs);
      keepAlive.unref();
    }
  };

  return {
    announce(next, previous) {
      if (streams.size === 0) return;
      for (const { method, lists } of LISTS) {
        if (JSON.stringify(lists(next)) === JSON.stringify(lists(previous))) continue;
        const event = encoder.encode(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method })}\n\n`);
        for (const stream of [...streams.keys()]) send(stream, event);
      }
    },
    notify(sessionKey, notification) {
      let event: Uint8Array | undefined;
      for (const [stream, key] of [...streams]) {
        if (key !== sessionKey) continue;
        event ??= encoder.encode(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", ...notification })}\n\n`);
        send(stream, event);
      }
    },
    open(signal, sessionKey, attach) {
      let controller: ReadableStreamDefaultController<Uint8Array>;
      const end = () => {
        if (!streams.has(controller)) return;
        forget(controller);
        try {
          controller.close();
        } catch {
          // Already cancelled by the client.
        }
      };
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          remember(c, sessionKey);
          // A first comment sends the headers at once, so the client knows the stream is open.
          c.enqueue(OPENED);
          signal.addEventListener("abort", end, { once: true });
          if (attach)
            detachers.set(
              c,
              attach((message) => send(c, encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`))),
            );
        },
        cancel: () => forget(controller),
      });
      return new Response(body, {
        headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" },
      });
    },
    close() {
      for (const stream of [...streams.keys()]) {
        forget(stream);
        try {
          stream.close();
        } catch {
          // Already cancelled by the client.
        }
      }
    },
  };
}
