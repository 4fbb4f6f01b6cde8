/**
 * Calls of 2026-07-28 clients to 2025 backends (tool calls, prompts, resource reads) that ask the client
 * something during the call (a server-to-client `sampling/createMessage`, `elicitation/create` or
 * `roots/list`). Such a client cannot be sent a request; it is answered with an input-required result
 * instead, while the call to the backend stays open on this replica, held, with the backend waiting for
 * its answer. The client's
 * retry carries its answer (in `inputResponses`) and the gateway's sealed state naming the held call,
 * its turn and this replica: the answer goes to the backend and the retry gets what the call does next
 * (another question, or its result).
 *
 * The retry may reach another replica: it is passed over the session bus to the replica holding the
 * call, which acknowledges it at once and later sends back the next step. A replica that does not
 * acknowledge (it stopped, or the bus is down) gets the retry refused with advice to call again. A held
 * call waits a bounded time for its answer; then the backend is told the client did not answer.
 */
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import type { CallOptions } from "../federation/backend-pool.ts";
import type { BackendRequest } from "../federation/json-rpc-exchange.ts";
import { CAPABILITY_OF } from "../sessions/client-requests.ts";
import type { SessionBus } from "../sessions/session-bus.ts";
import { CONNECTION_CLOSED, REQUEST_TIMEOUT } from "./json-rpc-errors.ts";

/** Where a held call's question stands: which replica holds it, and the turn the answer is for. */
export interface HeldTurn {
  replica: string;
  call: string;
  turn: number;
}

/** A question of the backend for the client, under `key` in `inputRequests`. */
export interface HeldQuestion {
  at: HeldTurn;
  key: string;
  request: BackendRequest;
}

/** What the call did next: completed (with a result, or an error thrown), or asked its client. */
export type HeldStep = { result: Record<string, unknown> } | { question: HeldQuestion };

type Ask = NonNullable<CallOptions["onrequest"]>;

export interface HeldCalls {
  /**
   * Runs a call whose backend may ask its client during it: resolves with its result, or with its
   * first question, the call then held here. `signal` (the client's request) aborts the call until it
   * is held; a held call ends on its own bound, not with the request that started it.
   */
  start(
    run: (ask: Ask, signal: AbortSignal) => Promise<Record<string, unknown>>,
    signal: AbortSignal,
    /** What the client declared it can be asked: other questions are refused to the backend at once. */
    capabilities: Record<string, unknown> | undefined,
  ): Promise<HeldStep>;
  /** Gives the held call at `at` the client's answers, here or on the replica holding it, and resolves with its next step. */
  resume(at: HeldTurn, inputResponses: Record<string, unknown> | undefined, signal: AbortSignal): Promise<HeldStep>;
  close(): void;
}

/** How long a held call waits for the client's answer to one question. */
const HOLD_MS = 300_000;
/** How long a replica waits for the holding replica to acknowledge a retry passed to it. */
const ACK_MS = 5_000;
const RESUME_CHANNEL = "held-calls:resume";
const STEP_CHANNEL = "held-calls:step";

interface Question {
  request: BackendRequest;
  answer: (result: Record<string, unknown>) => void;
  refuse: (error: unknown) => void;
}

interface ResumeMessage {
  at: HeldTurn;
  inputResponses?: Record<string, unknown>;
  nonce: string;
}

/** A step or an error as it travels between replicas. */
type StepMessage =
  | { nonce: string; ack: true }
  | { nonce: string; step: HeldStep }
  | { nonce: string; error: { code: number; message: string; data?: unknown } };

export function createHeldCalls(
  bus: SessionBus,
  { holdMs = HOLD_MS, ackMs = ACK_MS }: { holdMs?: number; ackMs?: number } = {},
): HeldCalls {
  const replica = crypto.randomUUID();
  const held = new Map<string, HeldCall>();
  const replies = new Map<string, (message: StepMessage) => void>();

  const local = async (at: HeldTurn, inputResponses: Record<string, unknown> | undefined, signal: AbortSignal) => {
    const call = held.get(at.call);
    if (!call) throw gone();
    const step = await call.resume(at.turn, inputResponses, signal);
    if ("result" in step) held.delete(at.call);
    return step;
  };

  const unsubscribeResume = bus.subscribe(RESUME_CHANNEL, (text) => {
    const { at, inputResponses, nonce } = JSON.parse(text) as ResumeMessage;
    if (at.replica !== replica) return;
    const reply = (message: StepMessage) => void bus.publish(STEP_CHANNEL, JSON.stringify(message)).catch(() => {});
    reply({ nonce, ack: true });
    // The retry's own request is on the other replica: this side ends with the held call's bound.
    local(at, inputResponses, AbortSignal.timeout(holdMs)).then(
      (step) => reply({ nonce, step }),
      (error: unknown) => reply({ nonce, error: wireError(error) }),
    );
  });
  const unsubscribeStep = bus.subscribe(STEP_CHANNEL, (text) => {
    const message = JSON.parse(text) as StepMessage;
    replies.get(message.nonce)?.(message);
  });

  const remote = (at: HeldTurn, inputResponses: Record<string, unknown> | undefined, signal: AbortSignal) =>
    new Promise<HeldStep>((resolve, reject) => {
      const nonce = crypto.randomUUID();
      let timer = setTimeout(() => finish(() => reject(gone())), ackMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        replies.delete(nonce);
        signal.removeEventListener("abort", onAbort);
        settle();
      };
      const onAbort = () => finish(() => reject(signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
      replies.set(nonce, (message) => {
        if ("ack" in message) {
          clearTimeout(timer);
          timer = setTimeout(() => finish(() => reject(gone())), holdMs);
        } else if ("step" in message) finish(() => resolve(message.step));
        else finish(() => reject(new ProtocolError(message.error.code, message.error.message, message.error.data)));
      });
      const sent: ResumeMessage = { at, nonce, ...(inputResponses === undefined ? {} : { inputResponses }) };
      bus.publish(RESUME_CHANNEL, JSON.stringify(sent)).catch(() => finish(() => reject(gone())));
    });

  return {
    async start(run, signal, capabilities) {
      const call = new HeldCall(replica, capabilities ?? {}, holdMs, (id) => held.delete(id));
      const step = await call.begin(run, signal);
      if ("question" in step && !call.settled) held.set(step.question.at.call, call);
      return step;
    },
    resume: (at, inputResponses, signal) =>
      at.replica === replica ? local(at, inputResponses, signal) : remote(at, inputResponses, signal),
    close() {
      unsubscribeResume();
      unsubscribeStep();
      for (const call of held.values()) call.end(new ProtocolError(CONNECTION_CLOSED, "The gateway is shutting down"));
      held.clear();
    },
  };
}

/** One call and the questions its backend asked, handed to the client one turn at a time. */
class HeldCall {
  private readonly controller = new AbortController();
  private readonly questions: Question[] = [];
  private asked?: Question;
  private outcome?: { result: Record<string, unknown> } | { error: unknown };
  private wake?: () => void;
  private expiry?: ReturnType<typeof setTimeout>;

  /** Where the call stands; its id is drawn when it is first held (most calls never are). */
  private at: HeldTurn;

  constructor(
    replica: string,
    private readonly capabilities: Record<string, unknown>,
    private readonly holdMs: number,
    private readonly forget: (call: string) => void,
  ) {
    this.at = { replica, call: "", turn: 0 };
  }

  get settled(): boolean {
    return this.outcome !== undefined;
  }

  /** Starts the call, following `signal` until the call is held. */
  async begin(run: (ask: Ask, signal: AbortSignal) => Promise<Record<string, unknown>>, signal: AbortSignal) {
    run((request, requestSignal) => this.ask(request, requestSignal), this.controller.signal).then(
      (result) => this.settle({ result }),
      (error: unknown) => this.settle({ error }),
    );
    return this.next(signal);
  }

  /** Answers the question of `turn` and waits, following `signal`, for the call's next step. */
  async resume(turn: number, inputResponses: Record<string, unknown> | undefined, signal: AbortSignal) {
    const question = this.asked;
    if (!question || turn !== this.at.turn)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        "This requestState was answered already; continue with the requestState of the latest answer.",
      );
    const answer = inputResponses?.[keyOf(turn)];
    if (typeof answer !== "object" || answer === null || Array.isArray(answer))
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `The inputResponses lack "${keyOf(turn)}", the answer asked for.`,
      );
    this.asked = undefined;
    clearTimeout(this.expiry);
    question.answer(answer as Record<string, unknown>);
    return this.next(signal);
  }

  end(error: unknown): void {
    clearTimeout(this.expiry);
    this.asked?.refuse(error);
    for (const question of this.questions) question.refuse(error);
    this.controller.abort(error);
  }

  private ask(request: BackendRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
    const capability = CAPABILITY_OF[request.method];
    if (capability === undefined || this.capabilities[capability] === undefined)
      return Promise.reject(
        new ProtocolError(
          ProtocolErrorCode.MethodNotFound,
          `The gateway cannot pass "${request.method}" on to the client: ${capability === undefined ? "it passes on only sampling, elicitation and roots requests" : `the client did not declare the "${capability}" capability`}`,
        ),
      );
    return new Promise((resolve, reject) => {
      const question: Question = { request, answer: resolve, refuse: reject };
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      this.questions.push(question);
      this.wake?.();
    });
  }

  private settle(outcome: { result: Record<string, unknown> } | { error: unknown }): void {
    this.outcome = outcome;
    clearTimeout(this.expiry);
    if (this.at.call) this.forget(this.at.call);
    this.wake?.();
  }

  /** The next question for the client, or the call's outcome; while the client's request lasts, its end ends the call. */
  private async next(signal: AbortSignal): Promise<HeldStep> {
    const onAbort = () => this.end(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        // The outcome first: questions still queued when the call ended have no one to answer.
        if (this.outcome) {
          if ("error" in this.outcome) throw this.outcome.error;
          return { result: this.outcome.result };
        }
        const question = this.questions.shift();
        if (question) return this.hand(question);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private hand(question: Question): HeldStep {
    this.at = { ...this.at, call: this.at.call || crypto.randomUUID(), turn: this.at.turn + 1 };
    this.asked = question;
    this.expiry = setTimeout(
      () =>
        this.end(new ProtocolError(REQUEST_TIMEOUT, `The client did not answer within ${this.holdMs / 1000} seconds`)),
      this.holdMs,
    );
    return { question: { at: this.at, key: keyOf(this.at.turn), request: question.request } };
  }
}

/** The key of a turn's question in `inputRequests`, and of its answer in `inputResponses`. */
function keyOf(turn: number): string {
  return `input-${turn}`;
}

function gone(): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    "The call this requestState continues is no longer held (it ended, expired, or its replica stopped); call again without requestState.",
  );
}

function wireError(error: unknown): { code: number; message: string; data?: unknown } {
  if (error instanceof ProtocolError) return { code: error.code, message: error.message, data: error.data };
  return { code: ProtocolErrorCode.InternalError, message: error instanceof Error ? error.message : String(error) };
}
