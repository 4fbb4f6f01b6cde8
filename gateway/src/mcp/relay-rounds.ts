/**
 * The way of a request that a backend may answer with questions for the client (a tool call, a prompt,
 * a resource read), for clients of either revision: a 2026-07-28 client gets them as an input-required
 * result with the gateway's state (also what a 2025 service asks during the request, which is then
 * held: held-calls.ts), a 2025 client is asked them by the gateway round after round
 * (legacy-input-rounds.ts), and a client that can be asked neither way gets why.
 */
import type { CallOptions } from "../federation/backend-pool.ts";
import {
  cannotAsk,
  forClient,
  type InputRequiredRound,
  isInputRequired,
  sendOrResume,
} from "./input-required-round.ts";
import { answerInputRounds } from "./legacy-input-rounds.ts";

export interface Relay {
  /** The round of a 2026-07-28 client. */
  round: InputRequiredRound | undefined;
  service: string;
  name: string;
  /** What the request reaches, for messages: `the tool "x"`. */
  what: string;
  /** Sends the request, with the fields of a later round and the options of a held one. */
  send: (more?: Record<string, unknown>, options?: CallOptions) => Promise<Record<string, unknown>>;
  options: CallOptions;
  /** False for a service that cannot ask during a request (a 2026-07-28 one asks with input-required instead). */
  serviceMayAsk?: boolean;
}

/**
 * The result for the client, `forClient` when it is an input-required one that must reach the client as
 * it is; or why the client cannot answer what the service asks.
 */
export type Relayed = { result: Record<string, unknown>; forClient: boolean } | { failure: string };

export async function relayRounds({
  round,
  service,
  name,
  what,
  send,
  options,
  serviceMayAsk,
}: Relay): Promise<Relayed> {
  const outcome = await sendOrResume(
    round,
    service,
    name,
    (more) => send(undefined, more ? { ...options, ...more } : options),
    options,
    serviceMayAsk,
  );
  if ("asked" in outcome) return { result: outcome.asked, forClient: true };
  const { result } = outcome;
  if (!isInputRequired(result)) return { result, forClient: false };
  if (round) return { result: await forClient(round, service, name, result), forClient: true };
  if (!options.onrequest) return { failure: cannotAsk(what) };
  const rounds = await answerInputRounds(result, { ask: options.onrequest, retry: send, signal: options.signal, what });
  return "failure" in rounds ? rounds : { result: rounds.result, forClient: false };
}
