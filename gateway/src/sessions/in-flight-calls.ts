/**
 * Lets a client cancel a call of its session wherever the call runs. A `notifications/cancelled` may
 * reach another replica than the one running the call (each POST is balanced on its own), so it is
 * published on the session's channel; the replica running the call listens there while the session has
 * calls in flight on it, and aborts the call's signal.
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
}

interface SessionCalls {
  calls: Map<string, AbortController>;
  unsubscribe: () => void;
}

const channelOf = (sessionKey: string) => `sessions:${sessionKey}:cancel`;

export function createInFlightCalls(bus: SessionBus): InFlightCalls {
  const sessions = new Map<string, SessionCalls>();

  const enter = (sessionKey: string): SessionCalls => {
    const existing = sessions.get(sessionKey);
    if (existing) return existing;
    const calls = new Map<string, AbortController>();
    const unsubscribe = bus.subscribe(channelOf(sessionKey), (id) =>
      calls.get(id)?.abort(new Error("cancelled by the client")),
    );
    const entry = { calls, unsubscribe };
    sessions.set(sessionKey, entry);
    return entry;
  };

  return {
    scope: (sessionKey) => async (requestId, signal, call) => {
      const entry = enter(sessionKey);
      const id = JSON.stringify(requestId);
      const controller = new AbortController();
      entry.calls.set(id, controller);
      try {
        return await call(AbortSignal.any([signal, controller.signal]));
      } finally {
        if (entry.calls.get(id) === controller) entry.calls.delete(id);
        if (entry.calls.size === 0 && sessions.get(sessionKey) === entry) {
          sessions.delete(sessionKey);
          entry.unsubscribe();
        }
      }
    },
    async cancel(sessionKey, requestId) {
      await bus.publish(channelOf(sessionKey), JSON.stringify(requestId));
    },
  };
}
