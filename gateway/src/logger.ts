/**
 * A small structured logger: one JSON object a line in production (for log shippers), a readable line
 * in development. Fields bound with `child` (a request id, a service name) appear on every line.
 * Fields named like a credential are redacted here, at any depth, so that a careless call site cannot
 * put an API key, a token or a backend's headers into the log.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Whether lines of `level` are written, for callers whose fields cost something to build. */
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level: LogLevel;
  json: boolean;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const write = options.write ?? stdoutLines();
  const hasBound = Object.keys(bound).length > 0;
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (RANK[level] < RANK[options.level]) return;
    const all = hasBound ? { ...bound, ...fields } : (fields ?? NO_FIELDS);
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...all }, replacer));
      return;
    }
    // Built in one pass: this runs for every access line, so for every request.
    let line = `${new Date().toISOString().slice(11, 23)} ${LABELS[level]} ${message}`;
    let separator = "  ";
    for (const key in all) {
      const shown = replacer(key, all[key]);
      line += `${separator}${key}=${typeof shown === "string" ? shown : JSON.stringify(shown, replacer)}`;
      separator = " ";
    }
    write(line);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...options, write }, { ...bound, ...fields }),
    enabled: (level) => RANK[level] >= RANK[options.level],
  };
}

const NO_FIELDS: LogFields = {};
const LABELS: Record<LogLevel, string> = { debug: "DEBUG", info: "INFO ", warn: "WARN ", error: "ERROR" };

let stdoutWriter: ((line: string) => void) | undefined;

/** How long a line may wait for others to share its write, and how much may wait before it is written at once. */
const WRITE_DELAY_MS = 10;
const WRITE_AT_BYTES = 16 * 1024;

/**
 * Lines go to stdout in one write every few milliseconds instead of one each: with the access log on,
 * a write (a system call, synchronous in Bun) per request cost the gateway a tenth of its CPU time per
 * forwarded call, and one per turn of the event loop still about 5% (a busy loop turns about once per
 * request). Lines still waiting when the process exits are written then.
 */
function stdoutLines(): (line: string) => void {
  if (stdoutWriter) return stdoutWriter;
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const out = pending;
    pending = "";
    process.stdout.write(out);
  };
  process.once("exit", flush);
  stdoutWriter = (line) => {
    pending += `${line}\n`;
    if (pending.length >= WRITE_AT_BYTES) flush();
    else timer ??= setTimeout(flush, WRITE_DELAY_MS).unref();
  };
  return stdoutWriter;
}

/** Names of fields whose values are credentials, or hold them (a backend's `headers`). */
const CREDENTIAL_FIELD = /authorization|api[-_]?key|token|secret|password|cookie|headers/i;

/** Field names seen so far and whether each names a credential; bounded, since nested data brings any names. */
const credentialNames = new Map<string, boolean>();
const CREDENTIAL_NAMES_KEPT = 1024;

function isCredentialName(key: string): boolean {
  let credential = credentialNames.get(key);
  if (credential !== undefined) return credential;
  credential = CREDENTIAL_FIELD.test(key);
  if (credentialNames.size >= CREDENTIAL_NAMES_KEPT) credentialNames.clear();
  credentialNames.set(key, credential);
  return credential;
}

/** Credential fields become `[redacted]`; errors serialise to their message (and code) rather than `{}`. */
function replacer(key: string, value: unknown): unknown {
  if (value !== undefined && isCredentialName(key)) return "[redacted]";
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? value.message : { message: value.message, code };
  }
  return value;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ level: "error", json: true, write: () => {} });
