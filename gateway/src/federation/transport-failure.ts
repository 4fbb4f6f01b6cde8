/**
 * How a backend can fail to answer, as opposed to answering with a JSON-RPC error: it cannot be
 * reached, answers an HTTP error, breaks off its answer or says nothing in time. The pool books these
 * on the backend's circuit and shows their reason to callers.
 */

/** The backend did not answer; the message is the reason, short enough to show to a model or an operator. */
export class TransportFailure extends Error {
  constructor(
    message: string,
    /** The HTTP status the backend answered with, when it answered one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Why an answer stream ended before the answer: closed by the backend, or broken by `error`. */
export function streamEndedReason(error?: unknown): string {
  if (error === undefined) return "the service closed the connection before answering";
  const code = (error as { code?: unknown })?.code;
  return `the connection to the service broke before it answered${typeof code === "string" ? ` (${code})` : ""}`;
}

/** A short reason a model or operator can act on, without stack traces. */
export function describeFailure(error: unknown): string {
  if (error instanceof TransportFailure) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "the connection was reset";
  if (error instanceof Error) return error.message.replace(/\s+/g, " ").slice(0, 300);
  return String(error);
}
