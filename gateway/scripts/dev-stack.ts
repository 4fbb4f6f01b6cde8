/**
 * `bun run dev`: the whole federation on one machine with nothing installed but Bun. Starts shopping
 * (3002) and user (3003), then the gateway (3001) registering both through GATEWAY_SERVICES; each runs
 * under `bun --watch`, so editing its code restarts it. Their output is merged into one stream, each
 * line prefixed with the service's name. SIGINT (Ctrl-C) and SIGTERM stop all three.
 *
 * The gateway gets the embedded defaults (PGlite in .data/pglite, an in-process version store) even
 * when the shell or .env names a Postgres or Redis: a stale DATABASE_URL would otherwise make
 * `bun run dev` fail on a machine without that server. `--use-env` passes the environment through.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";

const USAGE = `usage: bun run dev [--use-env]

  --use-env   give the gateway the environment as it is (DATABASE_URL, DB_*, REDIS_URL, UPSTASH_*,
              NODE_ENV), instead of the embedded PGlite and in-process version store`;

const REPO_ROOT = resolve(import.meta.dir, "../..");
const STARTUP_WAIT_MS = 15_000;
const STOP_GRACE_MS = 5_000;

/** Variables that would point the gateway at infrastructure; blanked, since Bun would refill an unset one from .env. */
const INFRASTRUCTURE_VARIABLES = [
  "DATABASE_URL",
  "DB_HOST",
  "REDIS_URL",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
];

interface ServiceSpec {
  name: string;
  entry: string;
  port: number;
  color: string;
}

const BACKENDS: ServiceSpec[] = [
  { name: "shopping", entry: "shopping/src/main.ts", port: 3002, color: "\x1b[36m" },
  { name: "user", entry: "user/src/main.ts", port: 3003, color: "\x1b[35m" },
];
const GATEWAY: ServiceSpec = { name: "gateway", entry: "gateway/src/main.ts", port: 3001, color: "\x1b[33m" };
const SELF = { name: "dev", color: "\x1b[90m" };

const colored = process.stdout.isTTY === true && !process.env.NO_COLOR;
const prefixWidth = Math.max(SELF.name.length, GATEWAY.name.length, ...BACKENDS.map((s) => s.name.length));

function prefix(name: string, color: string): string {
  const label = `${name.padEnd(prefixWidth)} |`;
  return colored ? `${color}${label}\x1b[0m ` : `${label} `;
}

function say(message: string): void {
  process.stdout.write(`${prefix(SELF.name, SELF.color)}${message}\n`);
}

/** Copies a child's output to ours line by line, so lines of different services never interleave mid-line. */
async function relay(stream: ReadableStream<Uint8Array>, linePrefix: string): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  const reader = stream.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    const lines = (pending + decoder.decode(chunk.value, { stream: true })).split("\n");
    pending = lines.pop() ?? "";
    if (lines.length > 0) process.stdout.write(lines.map((line) => `${linePrefix + line}\n`).join(""));
  }
  if (pending !== "") process.stdout.write(`${linePrefix + pending}\n`);
}

function parseArgs(args: string[]): { useEnv: boolean } {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    process.exit(0);
  }
  const unknown = args.filter((arg) => arg !== "--use-env");
  if (unknown.length > 0) {
    console.error(`unknown argument: ${unknown.join(" ")}\n\n${USAGE}`);
    process.exit(2);
  }
  return { useEnv: args.includes("--use-env") };
}

/** True when something already listens on the port (another dev stack, or the compose stack). */
function portTaken(port: number): boolean {
  try {
    Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } }).stop(true);
    return false;
  } catch {
    return true;
  }
}

/** No load balancer routes to a dev stack, so a stop need not wait for one to notice. */
const NO_DRAIN_GRACE = "0";

function gatewayEnv(useEnv: boolean): Record<string, string | undefined> {
  const services = BACKENDS.map((b) => `${b.name}-service=http://localhost:${b.port}`).join(",");
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(GATEWAY.port),
    GATEWAY_SERVICES: services,
    DRAIN_GRACE_MS: NO_DRAIN_GRACE,
  };
  if (useEnv) return env;
  for (const name of INFRASTRUCTURE_VARIABLES) env[name] = "";
  // The stack runs on the public demo keys, which the gateway refuses under NODE_ENV=production.
  env.NODE_ENV = "development";
  return env;
}

/** Polls `GET /health` until `ready` accepts its JSON body or the deadline passes. */
async function waitForHealth(
  port: number,
  deadline: number,
  ready: (body: unknown) => boolean = () => true,
): Promise<boolean> {
  while (Date.now() < deadline && !stopping) {
    const body = await fetch(`http://localhost:${port}/health`).then(
      (r) => (r.ok ? r.json() : undefined),
      () => undefined,
    );
    if (body !== undefined && ready(body)) return true;
    await Bun.sleep(100);
  }
  return false;
}

const { useEnv } = parseArgs(Bun.argv.slice(2));
const children = new Map<string, Subprocess<"ignore", "pipe", "pipe">>();
let stopping = false;

function start(spec: ServiceSpec, env: Record<string, string | undefined>): void {
  // --no-clear-screen: a restart of one service must not wipe the others' output.
  const child = Bun.spawn([process.execPath, "--watch", "--no-clear-screen", spec.entry], {
    cwd: REPO_ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  children.set(spec.name, child);
  const linePrefix = prefix(spec.name, spec.color);
  void relay(child.stdout, linePrefix);
  void relay(child.stderr, linePrefix);
  void child.exited.then((code) => {
    if (stopping) return;
    // Under --watch a crash keeps the process waiting for a fix, so an exit means it is really gone.
    say(`${spec.name} exited with code ${code}; stopping the stack`);
    void stopAll(1);
  });
}

async function stopAll(exitCode: number): Promise<never> {
  stopping = true;
  const running = [...children.values()].filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill("SIGTERM");
  const forced = setTimeout(() => {
    for (const child of running) child.kill("SIGKILL");
  }, STOP_GRACE_MS);
  await Promise.all(running.map((child) => child.exited));
  clearTimeout(forced);
  process.exit(exitCode);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    say(`${signal} received, stopping the services`);
    void stopAll(0);
  });
}

const taken = [...BACKENDS, GATEWAY].filter((spec) => portTaken(spec.port));
if (taken.length > 0) {
  for (const spec of taken)
    say(
      `port ${spec.port} (${spec.name}) is already in use: is another \`bun run dev\` or \`docker compose up\` running?`,
    );
  process.exit(1);
}

say(
  useEnv
    ? "gateway uses the environment as it is (--use-env)"
    : "gateway uses embedded PGlite (.data/pglite) and an in-process version store",
);
// The backends require what the gateway sends them (BACKEND_BEARER_TOKEN, by default the demo token),
// not the clients' MCP_BEARER_TOKEN that Bun may have loaded from .env.
const backendToken = process.env.BACKEND_BEARER_TOKEN || "mcp-token-123";
for (const backend of BACKENDS) {
  start(backend, {
    ...process.env,
    PORT: String(backend.port),
    DRAIN_GRACE_MS: NO_DRAIN_GRACE,
    MCP_BEARER_TOKEN: backendToken,
  });
}

// The gateway registers the backends at start and retries until they answer; waiting first keeps
// those retries out of the log. A backend that does not come up is reported, not fatal: fixing its
// code restarts it, and the gateway then picks it up.
const deadline = Date.now() + STARTUP_WAIT_MS;
for (const backend of BACKENDS) {
  if (!(await waitForHealth(backend.port, deadline)) && !stopping)
    say(`${backend.name} is not healthy yet; starting the gateway anyway`);
}
if (!stopping) start(GATEWAY, gatewayEnv(useEnv));
let tools = 0;
const registered = await waitForHealth(GATEWAY.port, Date.now() + STARTUP_WAIT_MS, (body) => {
  const catalog = (body as { catalog?: { services: number; tools: number } }).catalog;
  tools = catalog?.tools ?? 0;
  return (catalog?.services ?? 0) >= BACKENDS.length;
});
if (registered) say(`ready: ${tools} tools at http://localhost:${GATEWAY.port}/mcp (see "Try it" in README.md)`);
