/**
 * The standalone GET stream of a backend's MCP session (streamable HTTP): where a stateful backend
 * sends what belongs to no request of the gateway's — resource updates, list changes, requests of its
 * own. Only a backend that keeps sessions has one; a stateless one answers the GET 405.
 *
 * Opening it does not wait for the backend's answer: a backend on Bun sends no headers until its first
 * event, which may be hours away. `opened` tells of the headers when they do come.
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createEventDataParser } from "./event-stream.ts";
import { describeFailure } from "./transport-failure.ts";

export interface BackendEventStream {
  /** Resolves when the backend accepted the stream; stays pending if it ends first. */
  readonly opened: Promise<void>;
  /**
   * Settles once the stream is over: with why, when the backend refused it, broke it off or ended it,
   * or with undefined after close().
   */
  readonly ended: Promise<string | undefined>;
  close(): void;
}

export interface BackendEventStreamOptions {
  fetch: FetchLike;
  /** The backend's MCP endpoint. */
  url: string | URL;
  /** The session's headers: its id, protocol version and the backend's credentials. */
  headers: Record<string, string>;
  /** Largest event read; a longer one ends the stream, so that it cannot grow in memory. */
  maxEventBytes: number;
  /** Each JSON-RPC message the backend sends; must not throw. Data that is no JSON is skipped. */
  onmessage: (message: Record<string, unknown>) => void;
}

export function openBackendEventStream({
  fetch,
  url,
  headers,
  maxEventBytes,
  onmessage,
}: BackendEventStreamOptions): BackendEventStream {
  const stop = new AbortController();
  const { promise: opened, resolve: accepted } = Promise.withResolvers<void>();
  const parse = createEventDataParser(maxEventBytes, (data) => {
    const message = parseMessage(data);
    if (message) onmessage(message);
  });
  const read = async (): Promise<string> => {
    const response = await fetch(url, {
      method: "GET",
      headers: { ...headers, Accept: "text/event-stream" },
      signal: stop.signal,
    });
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !type.includes("text/event-stream") || !response.body) {
      await response.body?.cancel().catch(() => {});
      return `the service refused its event stream (HTTP ${response.status})`;
    }
    accepted();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return "the service ended its event stream";
        if (!parse(value)) return `the service sent an event larger than ${maxEventBytes} bytes`;
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  };
  const ended = read().then(
    (reason) => (stop.signal.aborted ? undefined : reason),
    (error: unknown) => (stop.signal.aborted ? undefined : describeFailure(error)),
  );
  return { opened, ended, close: () => stop.abort() };
}

function parseMessage(data: string): Record<string, unknown> | undefined {
  try {
    const message: unknown = JSON.parse(data);
    return typeof message === "object" && message !== null && !Array.isArray(message)
      ? (message as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
