/**
 * The standalone GET event stream of a backend's session: where a stateful backend sends what belongs
 * to no request of ours (requests to the client such as sampling/createMessage or roots/list, log
 * messages, list changes, resource updates). Requests are answered with a POST in the same session
 * (see answerBackend); a request the backend cancels, or one still open when the stream is closed, has
 * its signal aborted.
 *
 * The stream is reopened when it ends or breaks (servers and proxies cut quiet streams), at once after
 * one that was open, with growing pauses while attempts fail; it stops for good when the backend says it
 * has no such stream (405) or no longer knows the session (404): a new session gets a new stream.
 * Nothing is resumed: the gateway sends no Last-Event-ID, so what a backend sent while no stream was
 * open is lost, as it is for any client without resumption.
 */
import { type FetchLike, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { createEventDataParser } from "./event-stream.ts";
import {
  answerBackend,
  type BackendRequest,
  type Message,
  type Notification,
  parseMessage,
  type RequestId,
} from "./json-rpc-exchange.ts";
import { type AttemptEnd, DEFAULT_RETRY, keepReopening, type Retry } from "./reopening.ts";
import { describeFailure } from "./transport-failure.ts";

export interface BackendEventStreamOptions {
  fetch: FetchLike;
  url: URL;
  /** The headers of the session's POSTs: its id, protocol version and the backend's credentials. */
  headers: Record<string, string>;
  /** Longest a POST answering a request of the backend may take. */
  timeoutMs: number;
  /** Largest event read; a larger one breaks the stream off, which is then reopened. */
  maxEventBytes: number;
  /** Every notification but a cancellation of one of the backend's requests. Must not throw. */
  onnotification: (notification: Notification) => void;
  /** Answers a request of the backend: its result or error is posted back. `signal` aborts when it is cancelled or the stream closes. */
  onrequest: (request: BackendRequest, signal: AbortSignal) => Promise<Record<string, unknown>>;
  /** Told, with the reason, when the stream stops for good without close() (for the logs). */
  onstop?: (reason: string) => void;
  /** Pauses between failed attempts to open: the first, and the longest. */
  retry?: Retry;
  /** Most requests of the backend waiting for their answer at once; more are refused at once, so none can pile up. */
  maxWaitingRequests?: number;
}

export interface BackendEventStream {
  /**
   * Settles once the first attempt to open is answered: with undefined when the backend took the stream
   * (from then on it has somewhere to send what it would otherwise drop), or with why it did not. A
   * backend that sends no headers before its first event (SDK servers on Bun) is taken to have the
   * stream after STREAM_SETTLE_MS.
   */
  ready: Promise<string | undefined>;
  close(): void;
}

/** See BackendEventStream.ready. */
const STREAM_SETTLE_MS = 1000;

const DEFAULT_MAX_WAITING_REQUESTS = 16;

export function openBackendEventStream(options: BackendEventStreamOptions): BackendEventStream {
  const { fetch, url, retry = DEFAULT_RETRY, maxWaitingRequests = DEFAULT_MAX_WAITING_REQUESTS } = options;
  const closed = new AbortController();
  const asking = new Map<RequestId, AbortController>();
  const headers = new Headers(options.headers);
  headers.set("Accept", "text/event-stream");
  headers.delete("Content-Type");

  const onmessage = (message: Message) => {
    if (typeof message.method !== "string") return;
    if (message.id === undefined) return onnotification({ method: message.method, params: message.params });
    if (typeof message.id !== "string" && typeof message.id !== "number") return;
    const id = message.id;
    const params = isRecord(message.params) ? message.params : undefined;
    const request = { method: message.method, ...(params === undefined ? {} : { params }) };
    const post = { fetch, url, headers: options.headers, timeoutMs: options.timeoutMs };
    if (asking.size >= maxWaitingRequests) {
      void answerBackend(id, request, { ...post, onrequest: tooMany(maxWaitingRequests) }, closed.signal);
      return;
    }
    const asked = new AbortController();
    asking.set(id, asked);
    void answerBackend(
      id,
      request,
      { ...post, onrequest: options.onrequest },
      AbortSignal.any([asked.signal, closed.signal]),
    ).finally(() => {
      if (asking.get(id) === asked) asking.delete(id);
    });
  };

  const onnotification = (notification: Notification) => {
    if (notification.method === "notifications/cancelled" && isRecord(notification.params)) {
      const { requestId } = notification.params;
      const asked = typeof requestId === "string" || typeof requestId === "number" ? asking.get(requestId) : undefined;
      if (asked) return asked.abort(new Error("cancelled by the service"));
    }
    options.onnotification(notification);
  };

  const { promise: ready, resolve: settleReady } = Promise.withResolvers<string | undefined>();
  const settling = setTimeout(() => settleReady(undefined), STREAM_SETTLE_MS);
  const answered = (refusal: string | undefined) => {
    clearTimeout(settling);
    settleReady(refusal);
  };

  const attempt = async (): Promise<AttemptEnd> => {
    let response: Response;
    try {
      response = await fetch(url, { method: "GET", headers, signal: closed.signal, redirect: "manual" });
    } catch (error) {
      answered(describeFailure(error));
      return { again: true, reason: describeFailure(error) };
    }
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !type.startsWith("text/event-stream") || !response.body) {
      await response.body?.cancel().catch(() => {});
      const reason = `the service answered the GET of its event stream with HTTP ${response.status} (${type || "no content type"})`;
      answered(reason);
      // 404: the session is gone; 405 and other refusals: the backend keeps no such stream. Only its
      // own trouble (5xx, 429) is worth trying again.
      return { again: response.status >= 500 || response.status === 429, reason };
    }
    answered(undefined);
    const reader = response.body.getReader();
    const parse = createEventDataParser(options.maxEventBytes, (data) => {
      const message = parseMessage(data);
      if (message) onmessage(message);
    });
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return { again: true, reason: "the service ended its event stream" };
        if (!parse(chunk.value)) {
          await reader.cancel().catch(() => {});
          return { again: true, reason: `an event exceeded ${options.maxEventBytes} bytes` };
        }
      }
    } catch (error) {
      return { again: true, reason: describeFailure(error) };
    }
  };

  void keepReopening(attempt, { retry, signal: closed.signal, onstop: options.onstop }).then(() => {
    for (const asked of asking.values()) asked.abort(new Error("the service's event stream was closed"));
  });

  return {
    ready,
    close: () => {
      answered("the event stream was closed");
      closed.abort(new Error("the event stream was closed"));
    },
  };
}

function tooMany(max: number): () => Promise<never> {
  return async () => {
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `The gateway has ${max} requests of this service waiting for the client already; ask again once they are answered`,
    );
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
