/**
 * A `subscriptions/listen` stream the gateway holds at a 2026-07-28 backend, as a client of it: that
 * revision's way for a server to send what belongs to no request (list changes, resource updates), in
 * place of the 2025 session's GET stream and `resources/subscribe`.
 *
 * The listen is one POST whose answer is an event stream that starts with
 * `notifications/subscriptions/acknowledged`, naming the part of the filter the backend honours (only
 * what its capabilities declare), and then carries the notifications the filter asked for. The backend
 * ends it with the listen request's result (when it shuts down) or by closing the stream.
 *
 * The stream is reopened when it ends or breaks, at once after one that was open a while, with growing
 * pauses while attempts fail. It stops for good when the backend honours nothing of the filter, does
 * not know the method, or refuses the request as a client error: asking again would get the same answer.
 * Nothing is resumed: what a backend sent while no stream was open is lost (see `onacknowledged`).
 */
import type { FetchLike } from "@modelcontextprotocol/client";
import { mcpEndpoint } from "./backend-endpoint.ts";
import { createEventDataParser } from "./event-stream.ts";
import { type Notification, parseMessage } from "./json-rpc-exchange.ts";
import { GATEWAY_CLIENT_INFO, type HttpTarget } from "./mcp-connection.ts";
import { MODERN_REVISION, modernRequestHeaders, withModernEnvelope } from "./modern-wire.ts";
import { type AttemptEnd, DEFAULT_RETRY, keepReopening, type Retry } from "./reopening.ts";
import { describeFailure } from "./transport-failure.ts";

/** What a listen asks for, as the revision's `params.notifications`. */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export interface BackendListenOptions {
  target: HttpTarget;
  /** A fetch that does not cut a quiet response: a listen may stay quiet for hours. */
  fetch: FetchLike;
  filter: ListenFilter;
  /** Largest event read; a larger one breaks the stream off, which is then reopened. */
  maxEventBytes: number;
  /** Why the backend's URL must not be connected to now, if so; checked before every attempt. */
  refuse?: (url: string) => Promise<string | undefined>;
  /** Every notification after the acknowledgement. Must not throw. */
  onnotification: (notification: Notification) => void;
  /**
   * Told each time the backend acknowledges a listen, with what it honours and whether this is a
   * reopening (the backend may have sent something while no stream was open). Must not throw.
   */
  onacknowledged?: (honoured: ListenFilter, reopened: boolean) => void;
  /** Told, with the reason, when the stream stops for good without close(). */
  onstop?: (reason: string) => void;
  /** Pauses between failed attempts: the first, and the longest. */
  retry?: Retry;
}

export interface BackendListen {
  /**
   * Settles with the first acknowledgement's honoured filter, or with the reason the first attempt
   * failed (a string); later attempts settle nothing.
   */
  readonly acknowledged: Promise<ListenFilter | string>;
  close(): void;
}

const LISTEN = "subscriptions/listen";
const ACKNOWLEDGED = "notifications/subscriptions/acknowledged";
/** JSON-RPC errors that say the backend cannot take this listen at all: method not found, invalid params. */
const FINAL_ERRORS = new Set([-32601, -32602]);

export function openBackendListen(options: BackendListenOptions): BackendListen {
  const { target, fetch, filter, retry = DEFAULT_RETRY } = options;
  const url = mcpEndpoint(target.url);
  const closed = new AbortController();
  const { promise: acknowledged, resolve: settle } = Promise.withResolvers<ListenFilter | string>();
  let acknowledgements = 0;
  let nextId = 0;

  const attempt = async (): Promise<AttemptEnd> => {
    const refused = await options.refuse?.(target.url);
    if (refused) return { again: true, reason: `the gateway does not connect to it: ${refused}` };
    const id = `gateway-listen-${nextId++}`;
    const params = withModernEnvelope({ notifications: filter }, MODERN_REVISION, {
      clientInfo: GATEWAY_CLIENT_INFO,
      capabilities: {},
    });
    const headers = {
      ...target.headers,
      Accept: "application/json, text/event-stream",
      "Content-Type": "application/json",
      "Mcp-Protocol-Version": MODERN_REVISION,
      ...modernRequestHeaders(LISTEN, params),
    };
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify({ jsonrpc: "2.0", id, method: LISTEN, params }),
        signal: closed.signal,
        redirect: "manual",
      });
    } catch (error) {
      return { again: true, reason: describeFailure(error) };
    }
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      // A client error says the backend will not take the listen (429 aside); its own trouble may pass.
      const again = response.status >= 500 || response.status === 429 || response.status === 408;
      return { again, reason: `the service answered its listen with HTTP ${response.status}` };
    }
    if (type.startsWith("application/json")) {
      const answer = (await response.json().catch(() => undefined)) as {
        error?: { code?: unknown; message?: unknown };
      };
      const code = answer?.error?.code;
      const reason = `the service answered its listen with ${answer?.error ? `error ${String(code)}: ${String(answer.error.message)}` : "a result and no stream"}`;
      return { again: !(typeof code === "number" && FINAL_ERRORS.has(code)), reason };
    }
    if (!type.startsWith("text/event-stream")) {
      await response.body.cancel().catch(() => {});
      return { again: false, reason: `the service answered its listen with ${type || "no content type"}` };
    }
    return read(response.body, id);
  };

  /** Reads one listen's stream until it ends; the first event must be the acknowledgement. */
  const read = async (body: ReadableStream<Uint8Array>, id: string): Promise<AttemptEnd> => {
    const reader = body.getReader();
    let end: AttemptEnd | undefined;
    let honoured: ListenFilter | undefined;
    const parse = createEventDataParser(options.maxEventBytes, (data) => {
      if (end) return;
      const message = parseMessage(data);
      if (!message) return;
      if (message.id === id) {
        end = { again: true, reason: "the service ended the listen" };
        return;
      }
      if (typeof message.method !== "string" || message.id !== undefined) return;
      if (honoured === undefined) {
        if (message.method !== ACKNOWLEDGED) return;
        honoured = filterOf((message.params as { notifications?: unknown } | undefined)?.notifications);
        if (!honoursAnything(honoured)) {
          end = { again: false, reason: "the service honours none of the notifications asked for" };
          settle(honoured);
          return;
        }
        options.onacknowledged?.(honoured, acknowledgements++ > 0);
        settle(honoured);
        return;
      }
      options.onnotification({ method: message.method, params: message.params });
    });
    try {
      for (;;) {
        const chunk = await reader.read();
        if (end) break;
        if (chunk.done) return { again: true, reason: "the service ended its listen stream" };
        if (!parse(chunk.value)) return { again: true, reason: `an event exceeded ${options.maxEventBytes} bytes` };
        if (end) break;
      }
    } catch (error) {
      return { again: true, reason: describeFailure(error) };
    } finally {
      await reader.cancel().catch(() => {});
    }
    return end ?? { again: true, reason: "the listen stream ended" };
  };

  void keepReopening(attempt, {
    retry,
    signal: closed.signal,
    onend: (end) => settle(end.reason),
    onstop: options.onstop,
  });

  return {
    acknowledged,
    close() {
      settle("the listen was closed");
      closed.abort(new Error("the listen was closed"));
    },
  };
}

function honoursAnything(filter: ListenFilter): boolean {
  return (
    filter.toolsListChanged === true ||
    filter.promptsListChanged === true ||
    filter.resourcesListChanged === true ||
    (filter.resourceSubscriptions?.length ?? 0) > 0
  );
}

/** The acknowledged filter, with anything not of the revision's shape left out. */
function filterOf(value: unknown): ListenFilter {
  if (typeof value !== "object" || value === null) return {};
  const raw = value as Record<string, unknown>;
  const filter: ListenFilter = {};
  for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const)
    if (raw[key] === true) filter[key] = true;
  if (Array.isArray(raw.resourceSubscriptions))
    filter.resourceSubscriptions = raw.resourceSubscriptions.filter((uri): uri is string => typeof uri === "string");
  return filter;
}
