/**
 * Lets a client cancel a call of its session wherever the call runs. A `notifications/cancelled` may
 * reach another replica than the one running the call (each POST is balanced on its own), so it is
 * published on the bus; every replica listens on one channel for all sessions, from the start, and the
 * one running the call aborts its signal. One channel rather than one per session: subscribing and
 * unsubscribing around every call (a Redis command each, on Redis) cost more than the call's own
 * bookkeeping, and cancellations are rare enough for every replica to hear them all.
 */
import type { SessionBus } from "./session-bus.ts";

type RequestId = string | number;

/** Runs the call of request `requestId` under a signal that also aborts when the client cancels it. */
export type CallScope = <T>(
  requestId: RequestId,
  signal: AbortSignal,
  call: (signal: AbortSignal) => Promise<T>,
) => Promise<T>;

export interface InFlightCalls {
  scope(sessionKey: string): CallScope;
  /** Aborts the session's call of `requestId` on whichever replica runs it. */
  cancel(sessionKey: string, requestId: RequestId): Promise<void>;
  close(): void;
}

const CHANNEL = "sessions:cancel";

/** A call's key: session keys are base64url, so a space cannot occur in one. */
const keyOf = (sessionKey: string, requestId: RequestId) => `${sessionKey} ${JSON.stringify(requestId)}`;

export function createInFlightCalls(bus: SessionBus): InFlightCalls {
  const calls = new Map<string, AbortController>();
  const unsubscribe = bus.subscribe(CHANNEL, (text) => {
    const { sessionKey, requestId } = JSON.parse(text) as { sessionKey: string; requestId: RequestId };
    calls.get(keyOf(sessionKey, requestId))?.abort(new Error("cancelled by the client"));
  });

  return {
    scope: (sessionKey) => async (requestId, signal, call) => {
      const key = keyOf(sessionKey, requestId);
      const controller = new AbortController();
      calls.set(key, controller);
      try {
        return await call(AbortSignal.any([signal, controller.signal]));
      } finally {
        if (calls.get(key) === controller) calls.delete(key);
      }
    },
    async cancel(sessionKey, requestId) {
      await bus.publish(CHANNEL, JSON.stringify({ sessionKey, requestId }));
    },
    close: unsubscribe,
  };
}
