/** A gateway log a test can read back: every line the logger writes, at debug and up, as JSON. */
import { createLogger, type Logger } from "../../src/logger.ts";

export interface CapturedLog {
  log: Logger;
  /** The lines as written. */
  lines: string[];
  /** The lines, parsed. */
  entries(): Record<string, unknown>[];
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  return {
    log: createLogger({ level: "debug", json: true, write: (line) => lines.push(line) }),
    lines,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
