/**
 * A 2026-07-28 backend's input-required result, answered for a 2025 client. Such a client cannot retry
 * with `inputResponses`; it answers server-to-client requests instead. So the gateway plays the rounds
 * itself, on the replica running the call: it asks the client each input request as the legacy request
 * of the same method (`sampling/createMessage`, `elicitation/create`, `roots/list`) on the call's
 * stream, collects the answers under the keys the backend used, and retries the backend with them and
 * the backend's `requestState`, until the backend completes. The client's answers may reach another
 * replica; the session bus brings them here (sessions/client-requests.ts). The backend's state never
 * leaves the gateway, so no sealing is needed.
 */
import type { CallOptions } from "../federation/backend-pool.ts";
import type { BackendRequest } from "../federation/json-rpc-exchange.ts";
import { isInputRequired } from "./input-required-round.ts";

/** Asks the caller's client one question on the call's stream (a call's `onrequest`). */
export type AskLegacyClient = NonNullable<CallOptions["onrequest"]>;

/** Rounds a backend may take before the gateway gives up: a backend that keeps asking hurts only its own call. */
export const MAX_INPUT_ROUNDS = 10;
/** Questions one round may put to the client: each may be a form a person fills in. */
const MAX_INPUT_REQUESTS = 16;
/** How long the client may take over one question, as long as a 2026-07-28 client's request state lives. */
const ANSWER_TIMEOUT_MS = 600_000;

/** The complete result, or why the call cannot complete (a message for the client). */
export type InputRounds = { result: Record<string, unknown> } | { failure: string };

export interface InputRoundsOptions {
  ask: AskLegacyClient;
  /** Sends the request again with the round's `inputResponses` and the backend's `requestState`. */
  retry: (continuation: Record<string, unknown>) => Promise<Record<string, unknown>>;
  signal?: AbortSignal;
  /** The tool, prompt or resource, as the messages name it (`the tool "x"`). */
  what: string;
}

/**
 * Plays the rounds from the backend's first input-required `result`. What the backend answers on a
 * retry (a result, an error) comes back or is thrown as it came; a question the client cannot or will
 * not answer, a malformed input request, or too many rounds end the call with a failure.
 */
export async function answerInputRounds(
  result: Record<string, unknown>,
  { ask, retry, signal, what }: InputRoundsOptions,
): Promise<InputRounds> {
  let current = result;
  for (let round = 1; isInputRequired(current); round++) {
    if (round > MAX_INPUT_ROUNDS)
      return {
        failure: `The service behind ${what} asked for input ${MAX_INPUT_ROUNDS} times without completing; the gateway stopped asking.`,
      };
    const requests = inputRequestsOf(current.inputRequests);
    if (typeof requests === "string") return { failure: `The service behind ${what} ${requests}.` };
    const answers: Record<string, unknown> = {};
    for (const [key, request] of requests) {
      const answer = await askOne(ask, request, signal);
      if ("failure" in answer)
        return {
          failure: `The service behind ${what} asked the client for input ("${request.method}"), which it did not give: ${answer.failure}`,
        };
      answers[key] = answer.result;
    }
    const state = current.requestState;
    current = await retry({ inputResponses: answers, ...(typeof state === "string" ? { requestState: state } : {}) });
  }
  return { result: current };
}

/** The input requests in the backend's order, or what is wrong with them. */
function inputRequestsOf(value: unknown): [string, BackendRequest][] | string {
  if (value === undefined) return [];
  if (!isRecord(value)) return "sent input requests the gateway cannot read";
  const entries = Object.entries(value);
  if (entries.length > MAX_INPUT_REQUESTS)
    return `asked ${entries.length} questions at once, more than the ${MAX_INPUT_REQUESTS} the gateway puts to a client`;
  const requests: [string, BackendRequest][] = [];
  for (const [key, request] of entries) {
    if (
      !isRecord(request) ||
      typeof request.method !== "string" ||
      !(request.params === undefined || isRecord(request.params))
    )
      return `sent an input request ("${key}") the gateway cannot read`;
    requests.push([
      key,
      { method: request.method, ...(request.params === undefined ? {} : { params: legacyParams(request) }) },
    ]);
  }
  return requests;
}

/**
 * The params as a 2025 client takes them: a URL elicitation of the 2026-07-28 revision has no
 * `elicitationId`, which the earlier revision requires (the backend correlates by its own state).
 */
function legacyParams({ method, params }: Record<string, unknown>): Record<string, unknown> {
  const fields = params as Record<string, unknown>;
  if (method !== "elicitation/create" || fields.mode !== "url" || fields.elicitationId !== undefined) return fields;
  return { ...fields, elicitationId: crypto.randomUUID() };
}

async function askOne(
  ask: AskLegacyClient,
  request: BackendRequest,
  signal: AbortSignal | undefined,
): Promise<{ result: Record<string, unknown> } | { failure: string }> {
  const timeout = AbortSignal.timeout(ANSWER_TIMEOUT_MS);
  try {
    return { result: await ask(request, signal ? AbortSignal.any([signal, timeout]) : timeout) };
  } catch (error) {
    // The caller went away: its call ends as any aborted call does.
    if (signal?.aborted) throw error;
    if (timeout.aborted) return { failure: `no answer within ${ANSWER_TIMEOUT_MS / 1000} seconds` };
    return { failure: error instanceof Error ? error.message : String(error) };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
