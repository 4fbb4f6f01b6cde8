/**
 * Server-sent events for the console: each stream gets the current state at once, then again whenever
 * it changes. One timer serves every open stream, and runs only while one is open. A comment line every
 * few seconds keeps proxies and Bun's idle timer from cutting a quiet stream.
 */
const KEEP_ALIVE_MS = 15_000;
const encoder = new TextEncoder();

export interface EventStreams {
  /** A text/event-stream response that ends when `signal` aborts or `close()` is called. */
  open(signal: AbortSignal): Response;
  /** Ends every open stream (graceful shutdown). */
  close(): void;
}

export function createEventStreams(options: { intervalMs: number; state: () => unknown }): EventStreams {
  const open = new Set<ReadableStreamDefaultController<Uint8Array>>();
  let last = "";
  let lastSentAt = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      open.delete(controller);
    }
  };
  const broadcast = (text: string) => {
    for (const controller of open) send(controller, text);
    lastSentAt = Date.now();
  };
  const tick = () => {
    const current = JSON.stringify(options.state());
    if (current !== last) {
      last = current;
      broadcast(`event: state\ndata: ${current}\n\n`);
    } else if (Date.now() - lastSentAt >= KEEP_ALIVE_MS) broadcast(": keep-alive\n\n");
  };
  const stopTimerIfIdle = () => {
    if (open.size > 0 || !timer) return;
    clearInterval(timer);
    timer = undefined;
  };

  return {
    open(signal) {
      let mine: ReadableStreamDefaultController<Uint8Array> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          mine = controller;
          open.add(controller);
          // Only this stream is brought up to date: the others learn of a change at the next tick.
          send(controller, `event: state\ndata: ${JSON.stringify(options.state())}\n\n`);
          timer ??= setInterval(tick, options.intervalMs);
        },
        cancel() {
          if (mine) open.delete(mine);
          stopTimerIfIdle();
        },
      });
      signal.addEventListener("abort", () => {
        if (!mine) return;
        open.delete(mine);
        try {
          mine.close();
        } catch {
          // already closed by the client
        }
        stopTimerIfIdle();
      });
      return new Response(body, {
        headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
      });
    },
    close() {
      for (const controller of open) {
        try {
          controller.close();
        } catch {
          // already closed
        }
      }
      open.clear();
      stopTimerIfIdle();
    },
  };
}
