/**
 * One round of a request that a 2026-07-28 backend may answer with an input-required result (a tool
 * call, a prompt, a resource read): what the round sends the backend when it continues an earlier one,
 * and what becomes of such a result on its way to the client.
 */
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { CallOptions } from "../federation/backend-pool.ts";
import type { HeldCalls, HeldQuestion } from "./held-calls.ts";
import type { GatewayRequestState } from "./request-state.ts";

export interface InputRequiredRound {
  /** The round continues an earlier one: the gateway's verified state. */
  resumed?: GatewayRequestState;
  /** What the client answered, passed on as it came (the backend ignores what it did not ask). */
  inputResponses?: Record<string, unknown>;
  /** The gateway's own state for the client's next round. */
  seal(state: GatewayRequestState): Promise<string>;
  /** Holds requests of 2025 services that ask the client during them. */
  held?: HeldCalls;
}

/**
 * Refuses a state of another request: it names another service or another tool, prompt or resource
 * than this request reaches (the codec's binding already refuses one of another method or caller).
 */
export function checkResumed(round: InputRequiredRound | undefined, service: string, name: string): void {
  const resumed = round?.resumed;
  if (!resumed || (resumed.service === service && resumed.name === name)) return;
  const moved = resumed.name === name ? ` on "${service}" (it moved since; ask again without requestState)` : "";
  throw new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `The requestState belongs to "${resumed.name}" on "${resumed.service}", not to "${name}"${moved}.`,
  );
}

/** What the backend gets in a later round: the client's answers and its own state. */
export function continuation(round: InputRequiredRound | undefined): Record<string, unknown> {
  if (!round) return {};
  const { inputResponses, resumed } = round;
  return {
    ...(inputResponses === undefined ? {} : { inputResponses }),
    ...(resumed?.state === undefined ? {} : { requestState: resumed.state }),
  };
}

export function isInputRequired(result: Record<string, unknown>): boolean {
  return result.resultType === "input_required";
}

/** The backend's input-required result with the gateway's state in place of the backend's. */
export async function forClient(
  round: InputRequiredRound,
  service: string,
  name: string,
  result: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const state = result.requestState;
  const sealed = await round.seal({ service, name, ...(typeof state === "string" ? { state } : {}) });
  return { ...result, requestState: sealed };
}

/**
 * Sends the request of a round's first step with `send`, or continues the held request the round
 * resumes. With held calls, what a 2025 service asks the client during the request is held
 * (held-calls.ts) and comes back as the input-required result for the client; otherwise the result is
 * the service's.
 */
export async function sendOrResume(
  round: InputRequiredRound | undefined,
  service: string,
  name: string,
  send: (options?: Pick<CallOptions, "onrequest" | "signal">) => Promise<Record<string, unknown>>,
  options: CallOptions,
  /** False for a service that cannot ask during a request (a 2026-07-28 one asks with input-required instead). */
  serviceMayAsk = true,
): Promise<{ result: Record<string, unknown> } | { asked: Record<string, unknown> }> {
  const held = round?.held;
  const resumed = round?.resumed?.held;
  if (!held || (!serviceMayAsk && !resumed)) return { result: await send() };
  const signal = options.signal ?? new AbortController().signal;
  const step = resumed
    ? await held.resume(resumed, round.inputResponses, signal)
    : await held.start(
        (onrequest, heldSignal) => send({ onrequest, signal: heldSignal }),
        signal,
        options.clientCapabilities,
      );
  return "result" in step ? step : { asked: await heldForClient(round, service, name, step.question) };
}

/** A held call's question (see held-calls.ts) as an input-required result, with the gateway's state naming the call. */
async function heldForClient(
  round: InputRequiredRound,
  service: string,
  name: string,
  { at, key, request }: HeldQuestion,
): Promise<Record<string, unknown>> {
  return {
    resultType: "input_required",
    inputRequests: { [key]: request },
    requestState: await round.seal({ service, name, held: at }),
  };
}

/** Why a client that cannot answer (a 2025 client) gets no such result. */
export function cannotAsk(what: string): string {
  return `The service behind ${what} asks for input (elicitation, sampling or roots) that this client cannot be asked through the gateway; a client of the 2026-07-28 revision can answer it.`;
}
