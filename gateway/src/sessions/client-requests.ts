/**
 * Requests a backend sends the client (sampling, elicitation, roots), and the client's answers. During
 * a call the request goes out on the call's own response stream (outside one, on the session's GET
 * stream: see client-links.ts), under an id unique across replicas; the
 * client answers with a POST of its own, which the load balancer may send to another replica than the
 * one running the call. So an answer this replica is not waiting for is published on the session bus,
 * where the replica that waits for it picks it up.
 */
import {
  type ClientCapabilities,
  type JSONRPCRequest,
  ProtocolError,
  ProtocolErrorCode,
} from "@modelcontextprotocol/server";
import type { BackendRequest } from "../federation/json-rpc-exchange.ts";
import { CONNECTION_CLOSED } from "../mcp/json-rpc-errors.ts";
import type { SessionBus } from "./session-bus.ts";
import type { Session } from "./session-ids.ts";

/** Puts a request on the call's response stream. */
export type WriteToClient = (message: JSONRPCRequest) => void | Promise<void>;

/**
 * Asks the client of a call: `write` sends the request, the promise settles with the client's answer
 * (an error answer is thrown as ProtocolError), or rejects when `signal` aborts.
 */
export type AskClient = (
  request: BackendRequest,
  write: WriteToClient,
  signal: AbortSignal,
) => Promise<Record<string, unknown>>;

/** A JSON-RPC response as a client sends it. */
export interface ClientAnswer {
  id: string | number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface ClientRequests {
  /** What a call of `session` may ask its client; `canStream` says whether the call's response may be an event stream. */
  askerFor(session: Session, canStream: boolean): AskClient;
  /** Asks the client of `session`, if it declared the capability the request needs, with `write` putting the request on a stream of the client's. */
  ask(
    session: Session,
    request: BackendRequest,
    write: WriteToClient,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** Hands a client's answer to the replica waiting for it (this one or another). */
  deliver(sessionKey: string, answer: ClientAnswer): Promise<void>;
  close(): void;
}

interface Waiting {
  sessionKey: string;
  settle: (answer: ClientAnswer) => void;
}

const CHANNEL = "sessions:client-answers";

/** Which capability a client must have declared to be asked `method`. */
export const CAPABILITY_OF: Record<string, keyof ClientCapabilities> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

/**
 * What a call may ask the client of `session`, declared for it to 2026-07-28 backends: the capabilities
 * among sampling, elicitation and roots it declared at initialize, or none when its request does not
 * accept an event stream, where the questions would go.
 */
export function askableCapabilities(session: Session, canStream: boolean): ClientCapabilities {
  if (!canStream) return {};
  const askable: ClientCapabilities = {};
  for (const capability of Object.values(CAPABILITY_OF))
    if (session.clientCapabilities[capability] !== undefined)
      Object.assign(askable, { [capability]: session.clientCapabilities[capability] });
  return askable;
}

export function createClientRequests(bus: SessionBus): ClientRequests {
  const waiting = new Map<string, Waiting>();

  const settleLocal = (sessionKey: string, answer: ClientAnswer): boolean => {
    const entry = waiting.get(String(answer.id));
    if (!entry || entry.sessionKey !== sessionKey) return false;
    entry.settle(answer);
    return true;
  };

  // Listened to from the start, not per request: a subscription made when a request goes out could
  // still be on its way to Redis when the answer is published.
  const unsubscribe = bus.subscribe(CHANNEL, (text) => {
    const { sessionKey, answer } = JSON.parse(text) as { sessionKey: string; answer: ClientAnswer };
    settleLocal(sessionKey, answer);
  });

  const ask = (sessionKey: string, request: BackendRequest, write: WriteToClient, signal: AbortSignal) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      signal.throwIfAborted();
      const id = crypto.randomUUID();
      const done = () => {
        waiting.delete(id);
        signal.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waiting.set(id, {
        sessionKey,
        settle(answer) {
          done();
          if (answer.error) reject(new ProtocolError(answer.error.code, answer.error.message, answer.error.data));
          else resolve(answer.result ?? {});
        },
      });
      const message: JSONRPCRequest = {
        jsonrpc: "2.0",
        id,
        method: request.method,
        ...(request.params === undefined ? {} : { params: request.params }),
      };
      // A write that fails, at once or later, must not leave the request waiting.
      Promise.resolve()
        .then(() => write(message))
        .catch((error: unknown) => {
          done();
          reject(error);
        });
    });

  const askChecked = (session: Session, request: BackendRequest, write: WriteToClient, signal: AbortSignal) => {
    const capability = CAPABILITY_OF[request.method];
    if (!capability) throw refusal(request, "the gateway passes on only sampling, elicitation and roots requests");
    if (session.clientCapabilities[capability] === undefined)
      throw refusal(request, `the client did not declare the "${capability}" capability`);
    return ask(session.key, request, write, signal);
  };

  return {
    askerFor: (session, canStream) => async (request, write, signal) => {
      if (!canStream && CAPABILITY_OF[request.method])
        throw refusal(request, "the client did not accept an event stream as the response to its call");
      return askChecked(session, request, write, signal);
    },
    ask: async (session, request, write, signal) => askChecked(session, request, write, signal),
    async deliver(sessionKey, answer) {
      if (settleLocal(sessionKey, answer)) return;
      await bus.publish(CHANNEL, JSON.stringify({ sessionKey, answer }));
    },
    close() {
      unsubscribe();
      for (const entry of waiting.values())
        entry.settle({ id: "", error: { code: CONNECTION_CLOSED, message: "The gateway is shutting down" } });
    },
  };
}

/**
 * The `onrequest` of a call (see CallOptions) whose requests `write` puts on the call's response
 * stream; without `askClient` (a client without a session) every request is refused.
 */
export function forwardToClient(
  askClient: AskClient | undefined,
  write: WriteToClient,
): (request: BackendRequest, signal: AbortSignal) => Promise<Record<string, unknown>> {
  return async (request, signal) => {
    if (!askClient) throw refusal(request);
    return askClient(request, write, signal);
  };
}

/**
 * The error a backend gets for a request the client cannot be asked: without a session, the client's
 * answer could not be matched to the call.
 */
function refusal(request: BackendRequest, reason = "the client holds no session"): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.MethodNotFound,
    `The gateway cannot pass "${request.method}" on to the client: ${reason}`,
  );
}
