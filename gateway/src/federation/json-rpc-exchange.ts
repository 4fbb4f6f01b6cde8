/**
 * One JSON-RPC request to a backend's MCP endpoint over plain fetch, as the streamable HTTP transport
 * defines it: the answer comes as a single JSON body, or as an event stream that may carry the
 * backend's notifications and requests to the client before it. This is the gateway's forwarding path; the SDK client costs about
 * twice the CPU per call for the same exchange (`bun run bench`).
 */
import { type FetchLike, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { type CallDeadline, createCallDeadline } from "./call-deadline.ts";
import { createEventDataParser } from "./event-stream.ts";
import { describeFailure, streamEndedReason, TransportFailure } from "./transport-failure.ts";

export type RequestId = string | number;

export interface Notification {
  method: string;
  params?: unknown;
}

/** A request the backend sends the gateway's client while it works on the gateway's request (sampling, elicitation). */
export interface BackendRequest {
  method: string;
  params?: Record<string, unknown>;
}

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

export interface ExchangeOptions {
  fetch: FetchLike;
  url: URL;
  /** Every header of the POST, the backend's own included. */
  headers: Record<string, string>;
  /** Longest wait for the answer; progress under `progressToken` starts it over. */
  timeoutMs: number;
  /**
   * When given, it governs the exchange instead of `timeoutMs` (its clocks may have started before),
   * and `signal`, if any, must abort when it does (as the pool's signal of a call does).
   */
  deadline?: CallDeadline;
  /** Largest answer read: a JSON body, or one event of a stream. Beyond it the answer is cut off (AnswerTooLarge). */
  maxAnswerBytes?: number;
  /**
   * The backend answers JSON-RPC errors with an HTTP error status (400, 404), as the 2026-07-28 revision
   * does: an error answer to this very request is then the backend's answer (ProtocolError), not a failure
   * to answer. Otherwise every HTTP error status is a TransportFailure.
   */
  errorsWithStatus?: boolean;
  signal?: AbortSignal;
  progressToken?: RequestId;
  /** Progress under `progressToken`. Must not throw. */
  onprogress?: (progress: Progress) => void;
  /** Every other notification sent on the answer's stream. Must not throw. */
  onnotification?: (notification: Notification) => void;
  /**
   * Answers a request the backend sends on the answer's stream; its result or error is posted back to
   * the backend (which works only with a backend that keeps sessions, as only such a backend can match
   * the answer to its request). `signal` aborts when the exchange ends. Without it, every such request
   * is refused.
   */
  onrequest?: (request: BackendRequest, signal: AbortSignal) => Promise<Record<string, unknown>>;
}

export interface Answer {
  /** The result as the backend sent it. */
  result: Record<string, unknown>;
  headers: Headers;
}

export interface Message {
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/**
 * Posts `request` and reads its answer. A JSON-RPC error answer is thrown as ProtocolError, the way the SDK
 * throws it; a caller's abort as the signal's reason; anything else that kept the answer from coming as
 * TransportFailure. Timing out or an abort aborts the fetch, so the backend sees the disconnect.
 */
export async function exchange(
  request: { id: RequestId; method: string; params?: Record<string, unknown> },
  options: ExchangeOptions,
): Promise<Answer> {
  const { signal } = options;
  signal?.throwIfAborted();
  const body = encodeRequest(request);
  const deadline = options.deadline ?? createCallDeadline({ timeoutMs: options.timeoutMs });
  // Aborts with the reason of whichever stopped the exchange first: the caller, or the deadline.
  const stopped = !signal ? deadline.signal : options.deadline ? signal : AbortSignal.any([signal, deadline.signal]);
  try {
    deadline.signal.throwIfAborted();
    const response = await options.fetch(options.url, {
      method: "POST",
      headers: options.headers,
      body,
      signal: stopped,
      // Credentials are meant for this endpoint only.
      redirect: "manual",
    });
    const message = await readAnswer(response, request.id, options, {
      onnotification(notification) {
        if (!isProgressFor(notification, options.progressToken)) return options.onnotification?.(notification);
        deadline.extend();
        const { progressToken: _, ...progress } = notification.params as Progress & { progressToken: unknown };
        options.onprogress?.(progress);
      },
      onrequest: (id, backendRequest) => {
        // While the client is being asked something (a person may be answering an elicitation), the
        // backend is waiting on us, not we on it: the quiet timeout stands still until the answer.
        void answerBackend(id, backendRequest, options, stopped).then(deadline.pause());
      },
    });
    return { result: resultOf(message), headers: response.headers };
  } catch (error) {
    if (stopped.aborted) throw stopped.reason;
    throw error instanceof ProtocolError || error instanceof TransportFailure || error instanceof AnswerTooLarge
      ? error
      : new TransportFailure(describeFailure(error));
  } finally {
    if (!options.deadline) deadline.dispose();
  }
}

/**
 * The request's body. A value JSON cannot encode (nested too deep for the encoder, say) is the
 * gateway's problem, found before the backend is contacted: it says nothing about the backend.
 */
function encodeRequest(request: { id: RequestId; method: string; params?: Record<string, unknown> }): string {
  try {
    return JSON.stringify({ jsonrpc: "2.0", ...request });
  } catch (error) {
    throw new UnsendableRequest(`the gateway could not encode the request: ${describeFailure(error)}`);
  }
}

/** The gateway could not send the request at all; the backend never saw it. */
export class UnsendableRequest extends Error {}

type PostOptions = Pick<ExchangeOptions, "fetch" | "url" | "headers" | "timeoutMs">;

/** Posts a notification, which the backend accepts without answering. */
export function notify(notification: Notification, options: PostOptions): Promise<void> {
  return post(notification, options);
}

/** Posts a message the backend accepts without answering (a notification, or the answer to its request). */
async function post(message: object, options: PostOptions): Promise<void> {
  const response = await options
    .fetch(options.url, {
      method: "POST",
      headers: options.headers,
      body: JSON.stringify({ jsonrpc: "2.0", ...message }),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: "manual",
    })
    .catch((error: unknown) => {
      throw new TransportFailure(
        (error as Error)?.name === "TimeoutError"
          ? `timed out: no answer within ${options.timeoutMs} ms`
          : describeFailure(error),
      );
    });
  if (!response.ok) throw await httpFailure(response);
  await response.body?.cancel();
}

/**
 * Asks `onrequest` and posts its outcome to the backend, unless the exchange ended meanwhile. Best
 * effort: a lost answer leaves the backend to its own timeout.
 */
export async function answerBackend(
  id: RequestId,
  request: BackendRequest,
  options: ExchangeOptions,
  signal: AbortSignal,
): Promise<void> {
  const ask = options.onrequest ?? refuse;
  const outcome = await ask(request, signal).then(
    (result) => ({ result }),
    (error: unknown) => ({ error: rpcErrorOf(error) }),
  );
  if (signal.aborted) return;
  await post({ id, ...outcome }, options).catch(() => {});
}

async function refuse(request: BackendRequest): Promise<never> {
  throw new ProtocolError(
    ProtocolErrorCode.MethodNotFound,
    `The gateway does not pass "${request.method}" requests on to its client here`,
  );
}

/** The JSON-RPC error of a failed answer: a ProtocolError's own, an internal error otherwise. */
function rpcErrorOf(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof ProtocolError)
    return { code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }) };
  return { code: ProtocolErrorCode.InternalError, message: error instanceof Error ? error.message : String(error) };
}

interface StreamHandlers {
  onnotification: (notification: Notification) => void;
  onrequest: (id: RequestId, request: BackendRequest) => void;
}

async function readAnswer(
  response: Response,
  id: RequestId,
  { maxAnswerBytes, errorsWithStatus }: Pick<ExchangeOptions, "maxAnswerBytes" | "errorsWithStatus">,
  handlers: StreamHandlers,
): Promise<Message> {
  const maxBytes = maxAnswerBytes ?? Number.POSITIVE_INFINITY;
  if (!response.ok) throw await httpFailure(response, errorsWithStatus ? id : undefined);
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream") && response.body) {
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    return declared >= 0 && declared <= maxBytes
      ? readWholeEventStream(response, id, handlers)
      : readEventStream(response.body, id, maxBytes, handlers);
  }
  if (type.startsWith("application/json")) {
    const body = (await readBounded(response, maxBytes)) as Message | Message[];
    const answer = (Array.isArray(body) ? body : [body]).find((message) => isAnswerTo(message, id));
    if (answer) return answer;
    throw new TransportFailure("the service answered without a response to the request");
  }
  await response.body?.cancel();
  throw new TransportFailure(
    `the service answered HTTP ${response.status} with content type "${type}" instead of an MCP answer`,
  );
}

/** The service's answer was larger than the gateway reads; the part read so far is dropped. */
export class AnswerTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the service answered with more than the ${maxBytes} bytes the gateway accepts (TOOL_RESULT_MAX_BYTES)`);
  }
}

/**
 * The body as JSON, given up at `maxBytes` so a huge answer never sits in memory whole. A body of
 * declared length (HTTP framing holds it to that) goes to Bun's native parser; one of unknown length is
 * read chunk by chunk and stopped at the limit.
 */
async function readBounded(response: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new AnswerTooLarge(maxBytes);
  }
  if (declared >= 0 || !response.body) return response.json();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader.read().catch((error: unknown) => {
      throw new TransportFailure(streamEndedReason(error));
    });
    if (chunk.done) break;
    size += chunk.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AnswerTooLarge(maxBytes);
    }
    chunks.push(chunk.value);
  }
  return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks, size)));
}

/**
 * Follows the stream until the answer to `id` and hands it over at once; the rest of the stream (its
 * end, normally) is read in the background, so the connection can be reused, but only for a moment:
 * the call's slot is free again by then, and a stream left open would hold a socket no slot counts.
 */
async function readEventStream(
  body: ReadableStream<Uint8Array>,
  id: RequestId,
  maxBytes: number,
  handlers: StreamHandlers,
): Promise<Message> {
  const reader = body.getReader();
  let answer: Message | undefined;
  const parse = createEventDataParser(maxBytes, (data) => {
    answer ??= dispatch(data, id, handlers);
  });
  for (;;) {
    const chunk = await reader.read().catch((error: unknown) => {
      throw new TransportFailure(streamEndedReason(error));
    });
    if (chunk.done) throw new TransportFailure(streamEndedReason());
    if (!parse(chunk.value)) {
      await reader.cancel().catch(() => {});
      throw new AnswerTooLarge(maxBytes);
    }
    if (answer) {
      void drain(reader);
      return answer;
    }
  }
}

/**
 * An event stream of declared length (HTTP framing holds it to that), as servers send one they wrote
 * whole before answering: read natively in one go, with no reader loop and nothing left to drain.
 */
async function readWholeEventStream(response: Response, id: RequestId, handlers: StreamHandlers): Promise<Message> {
  const body = await response.bytes().catch((error: unknown) => {
    throw new TransportFailure(streamEndedReason(error));
  });
  let answer: Message | undefined;
  createEventDataParser(Number.POSITIVE_INFINITY, (data) => {
    answer ??= dispatch(data, id, handlers);
  })(body);
  if (!answer) throw new TransportFailure(streamEndedReason());
  return answer;
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const giveUp = setTimeout(() => void reader.cancel().catch(() => {}), DRAIN_GRACE_MS);
  try {
    while (!(await reader.read()).done);
  } catch {
    // The answer is in; how the stream ended no longer matters.
  } finally {
    clearTimeout(giveUp);
  }
}

/** How long a stream may go on after its answer before the gateway closes it. */
const DRAIN_GRACE_MS = 1000;

/** The answer to `id` when the event carries it; a notification or request the event carries goes to `handlers`. */
function dispatch(data: string, id: RequestId, handlers: StreamHandlers): Message | undefined {
  const message = parseMessage(data);
  if (!message) return undefined;
  if (isAnswerTo(message, id)) return message;
  if (typeof message.method !== "string") return undefined;
  if (message.id === undefined) handlers.onnotification({ method: message.method, params: message.params });
  else if (isRequestId(message.id))
    handlers.onrequest(message.id, { method: message.method, params: paramsOf(message.params) });
  return undefined;
}

/** One event's data as a JSON-RPC message, or undefined for anything else (which is skipped). */
export function parseMessage(data: string): Message | undefined {
  try {
    const message = JSON.parse(data) as unknown;
    return typeof message === "object" && message !== null && !Array.isArray(message)
      ? (message as Message)
      : undefined;
  } catch {
    // Not JSON-RPC: nothing to act on.
    return undefined;
  }
}

function isAnswerTo(message: Message, id: RequestId): boolean {
  return message.id === id && ("result" in message || "error" in message);
}

function isRequestId(id: unknown): id is RequestId {
  return typeof id === "string" || typeof id === "number";
}

function paramsOf(params: unknown): Record<string, unknown> | undefined {
  return typeof params === "object" && params !== null && !Array.isArray(params)
    ? (params as Record<string, unknown>)
    : undefined;
}

function isProgressFor(notification: Notification, token: RequestId | undefined): boolean {
  if (token === undefined || notification.method !== "notifications/progress") return false;
  const params = notification.params as { progressToken?: unknown; progress?: unknown } | undefined;
  return params?.progressToken === token && typeof params.progress === "number";
}

/** The result of an answer, or its JSON-RPC error thrown as ProtocolError. */
export function resultOf(message: Message): Record<string, unknown> {
  if (message.error) throw errorOf(message.error);
  const { result } = message;
  if (typeof result === "object" && result !== null && !Array.isArray(result)) return result as Record<string, unknown>;
  throw new TransportFailure("the service answered with a result that is not an object");
}

function errorOf({ code, message, data }: NonNullable<Message["error"]>): ProtocolError {
  return ProtocolError.fromError(
    typeof code === "number" ? code : -32603,
    typeof message === "string" ? message : "Unknown error",
    data,
  );
}

/**
 * What an HTTP error status says, with the JSON-RPC error message when the backend sent one; or, when
 * `answerTo` is given and the body is the error answer to that request, that answer as ProtocolError.
 */
async function httpFailure(response: Response, answerTo?: RequestId): Promise<TransportFailure | ProtocolError> {
  const text = await response.text().catch(() => "");
  let detail = text.replace(/\s+/g, " ").slice(0, 200);
  try {
    const body = JSON.parse(text) as Message;
    if (answerTo !== undefined && body?.error && isAnswerTo(body, answerTo)) return errorOf(body.error);
    const message = body?.error?.message;
    if (typeof message === "string") detail = message;
  } catch {
    // Not JSON: the text itself is the detail.
  }
  const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
  return new TransportFailure(
    `the service answered HTTP ${response.status}${redirect}${detail ? `: ${detail}` : ""}`,
    response.status,
  );
}
