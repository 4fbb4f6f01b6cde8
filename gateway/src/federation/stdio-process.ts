/**
 * Keeps one process of a stdio backend running on this replica: spawned when the backend enters the
 * pool, started again with a growing delay whenever it dies, and killed with its process group when the
 * backend leaves the pool or changes, or the gateway shuts down. Its stderr goes to the log, a line at
 * a time, under the service's name.
 */
import type { Logger } from "../logger.ts";
import { type StdioChannel, type StdioLaunch, spawnChannel } from "./stdio-channel.ts";
import { TransportFailure } from "./transport-failure.ts";

export interface RestartBackoff {
  /** Delay before the first restart; it doubles with each death in a row, up to `maxMs`. */
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 500, maxMs: 30_000 };

export interface StdioProcess {
  /** The running process, or a TransportFailure saying why none runs now. */
  current(): StdioChannel;
  /** Stops supervising and kills the process group; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface StdioProcessOptions {
  name: string;
  launch: StdioLaunch;
  /** Longest stdout line (one message) read; see StdioChannel. */
  maxLineBytes: number;
  backoff: RestartBackoff;
  log: Logger;
}

export function startStdioProcess({ name, launch, maxLineBytes, backoff, log }: StdioProcessOptions): StdioProcess {
  let stopped = false;
  let channel: StdioChannel;
  let delayMs = backoff.initialMs;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const start = () => {
    const started = Date.now();
    channel = spawnChannel(launch, {
      maxLineBytes,
      onstderr: (line) => log.info("backend stderr", { service: name, line }),
    });
    log.info("backend process started", { service: name, pid: channel.pid });
    void channel.exited.then((reason) => {
      if (stopped) return;
      // A process that ran for a while before dying starts the backoff over; one dying at once grows it.
      if (Date.now() - started > backoff.maxMs) delayMs = backoff.initialMs;
      log.warn("backend process died; restarting it", { service: name, reason, restartInMs: delayMs });
      restartTimer = setTimeout(start, delayMs);
      delayMs = Math.min(delayMs * 2, backoff.maxMs);
    });
  };
  start();

  return {
    current() {
      const reason = channel.exitReason;
      if (reason !== undefined)
        throw new TransportFailure(`its process is not running (${reason}); the gateway is restarting it`);
      return channel;
    },
    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      await channel.kill();
    },
  };
}
