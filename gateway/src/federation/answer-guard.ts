/**
 * The SDK's HTTP client (which discovery uses) reads a request's answer from the event stream the
 * backend responds with, but does not notice when that stream ends without the answer (the backend
 * crashed or dropped the connection mid-call): the request would sit until its timeout. `guardAnswer`
 * makes such a stream end with a JSON-RPC error for the request instead, which the SDK hands to the
 * caller at once. The pool's own calls notice it themselves (json-rpc-exchange.ts).
 */
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { createEventDataParser } from "./event-stream.ts";
import { streamEndedReason } from "./transport-failure.ts";

type RequestId = string | number;

/** The id of the JSON-RPC request a POST body carries, if it carries exactly one. */
export function requestIdOf(init: RequestInit | undefined): RequestId | undefined {
  if (init?.method !== "POST" || typeof init.body !== "string") return undefined;
  try {
    const message = JSON.parse(init.body) as { id?: unknown; method?: unknown };
    if (typeof message.method !== "string") return undefined;
    return typeof message.id === "string" || typeof message.id === "number" ? message.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `response` as it is, or, for an event stream answering request `id`, a stream that ends with an error
 * for `id` when the original ends (or breaks) before the answer came. A stream broken by `signal` (we
 * closed the client ourselves) is passed on as broken.
 */
export function guardAnswer(response: Response, id: RequestId, signal?: AbortSignal | null): Response {
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok || !response.body || !type.startsWith("text/event-stream")) return response;
  const reader = response.body.getReader();
  const scanner = createAnswerScanner(id);
  const encoder = new TextEncoder();

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let reason = streamEndedReason();
      try {
        const { done, value } = await reader.read();
        if (!done) {
          scanner.push(value);
          controller.enqueue(value);
          return;
        }
      } catch (error) {
        if (signal?.aborted) {
          controller.error(error);
          return;
        }
        reason = streamEndedReason(error);
      }
      if (!scanner.answered) controller.enqueue(encoder.encode(errorEvent(id, reason)));
      controller.close();
    },
    cancel: (why) => reader.cancel(why),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** An SSE event with a JSON-RPC error; the leading blank line ends any event the backend left half-sent. */
function errorEvent(id: RequestId, message: string): string {
  const error = { jsonrpc: "2.0", id, error: { code: ErrorCode.ConnectionClosed, message } };
  return `\n\nevent: message\ndata: ${JSON.stringify(error)}\n\n`;
}

/** Follows an event stream just far enough to see whether the answer to `id` went by. */
function createAnswerScanner(id: RequestId) {
  let answered = false;
  // Discovery reads what the SDK reads; this scanner only watches it go by.
  const parse = createEventDataParser(Number.POSITIVE_INFINITY, (data) => {
    try {
      const message = JSON.parse(data) as { id?: unknown; result?: unknown; error?: unknown };
      if (message.id === id && ("result" in message || "error" in message)) answered = true;
    } catch {
      // Not JSON-RPC; the SDK reports it. Only the answer matters here.
    }
  });
  return {
    get answered() {
      return answered;
    },
    push(chunk: Uint8Array) {
      if (!answered) parse(chunk);
    },
  };
}
