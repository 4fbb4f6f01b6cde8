/**
 * One child process that speaks MCP over its stdin and stdout: one JSON-RPC message a line. It is
 * spawned in a process group of its own, so that killing it kills what it started too (`npx` runs the
 * server as a grandchild), and nothing of the gateway's environment reaches it beyond the few variables
 * a program needs to run (the SDK's list: HOME, PATH, USER and the like) and the registration's own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { getDefaultEnvironment } from "@modelcontextprotocol/client/stdio";

/** What a registration runs. `env` may hold secrets: it is stored sealed and never shown. */
export interface StdioLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

/** A line of stdout longer than the gateway reads, dropped but for its ends (enough to find its id). */
export class OversizeLine {
  constructor(
    readonly head: string,
    readonly tail: string,
  ) {}
}

export type ChannelMessage = Record<string, unknown>;

export interface StdioChannel {
  readonly pid: number;
  /** Why the process ended, once it has; undefined while it runs. */
  readonly exitReason: string | undefined;
  /** Resolves with the reason once the process has exited. */
  readonly exited: Promise<string>;
  /** Writes one message; false when the process is gone. */
  send(message: object): boolean;
  /** Every message (or over-long line) the process writes from now on; returns the unsubscribe. */
  subscribe(listener: (message: ChannelMessage | OversizeLine) => void): () => void;
  /** Kills the whole process group (TERM, then KILL after a grace) and resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface StdioChannelOptions {
  /** Longest stdout line parsed; longer ones come as OversizeLine. */
  maxLineBytes: number;
  /** Each line the process writes to stderr, cut to MAX_STDERR_LINE characters. */
  onstderr: (line: string) => void;
}

/** Longest stderr line passed to the log: a process printing a megabyte without a newline must not fill it. */
const MAX_STDERR_LINE = 2000;
/** How long a process group gets to exit after TERM before it is killed outright. */
const KILL_GRACE_MS = 2000;
const ENDS = 256;

/** Spawns the process; a command that cannot be started shows as a channel that has exited at once. */
export function spawnChannel(launch: StdioLaunch, options: StdioChannelOptions): StdioChannel {
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: { ...getDefaultEnvironment(), ...launch.env },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const listeners = new Set<(message: ChannelMessage | OversizeLine) => void>();
  let exitReason: string | undefined;
  const { promise: exited, resolve: markExited } = Promise.withResolvers<string>();
  const end = (reason: string) => {
    if (exitReason !== undefined) return;
    exitReason = reason;
    // The leader is gone; whatever it left in its group goes with it.
    killGroup(child, "SIGKILL");
    markExited(reason);
  };
  child.on("error", (error) => end(`the process could not be started: ${error.message}`));
  child.on("exit", (code, signal) =>
    end(signal ? `the process was ended by ${signal}` : `the process exited with code ${code}`),
  );
  child.stdin?.on("error", () => {});
  child.stdout?.on(
    "data",
    createLineReader(options.maxLineBytes, (line) => {
      const message = line instanceof OversizeLine ? line : parseMessage(line);
      if (message) for (const listener of listeners) listener(message);
    }),
  );
  child.stderr?.on(
    "data",
    createLineReader(MAX_STDERR_LINE, (line) => {
      options.onstderr(line instanceof OversizeLine ? `${line.head}… (cut)` : line);
    }),
  );

  return {
    pid: child.pid ?? -1,
    get exitReason() {
      return exitReason;
    },
    exited,
    send(message) {
      if (exitReason !== undefined || !child.stdin?.writable) return false;
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
      return true;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async kill() {
      if (exitReason === undefined) {
        killGroup(child, "SIGTERM");
        const grace = setTimeout(() => killGroup(child, "SIGKILL"), KILL_GRACE_MS);
        await exited;
        clearTimeout(grace);
      }
      killGroup(child, "SIGKILL");
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is empty already.
  }
}

/**
 * Splits a byte stream into lines of at most `maxBytes`; a longer line is not kept whole (it could be
 * endless) but handed over as its first and last bytes.
 */
function createLineReader(
  maxBytes: number,
  online: (line: string | OversizeLine) => void,
): (chunk: Buffer | string) => void {
  let parts: Buffer[] = [];
  let size = 0;
  let oversize: { head: Buffer; tail: Buffer } | undefined;
  const add = (piece: Buffer) => {
    if (oversize) {
      oversize.tail = Buffer.concat([oversize.tail, piece]).subarray(-ENDS);
      return;
    }
    parts.push(piece);
    size += piece.length;
    if (size <= maxBytes) return;
    const whole = Buffer.concat(parts, size);
    oversize = { head: whole.subarray(0, ENDS), tail: whole.subarray(-ENDS) };
    parts = [];
    size = 0;
  };
  return (chunk) => {
    let data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10)) {
      add(data.subarray(0, newline));
      data = data.subarray(newline + 1);
      if (oversize) online(new OversizeLine(oversize.head.toString(), oversize.tail.toString()));
      else online(Buffer.concat(parts, size).toString().replace(/\r$/, ""));
      parts = [];
      size = 0;
      oversize = undefined;
    }
    if (data.length > 0) add(data);
  };
}

function parseMessage(line: string): ChannelMessage | undefined {
  if (line.trim() === "") return undefined;
  try {
    const message = JSON.parse(line) as unknown;
    return typeof message === "object" && message !== null && !Array.isArray(message)
      ? (message as ChannelMessage)
      : undefined;
  } catch {
    // Not JSON-RPC (a server printing to stdout by mistake): nothing a request can use.
    return undefined;
  }
}
