/**
 * The gateway and the bare proxy as users run them: each its own process, started the way the README
 * says, with what the kernel says they spent on the CPU (for the benchmark's CPU time per call).
 */
import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../test/support/backend-process.ts";

const REPO_ROOT = resolve(import.meta.dir, "../..");

export interface ServiceProcess {
  url: string;
  /** The process that was spawned; CPU time is read over it and its descendants. */
  pid: number;
  /** User plus system CPU time of the process tree so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** What `bun run start:gateway` sets before it starts the gateway (package.json). */
const START_GATEWAY_ENV = { BUN_JSC_useFTLJIT: "0" };

/**
 * `bun run start:gateway` with the defaults a user gets (embedded PGlite in `pgliteDir`, access log on,
 * stdout to `logFile` as a container runtime would take it), and `services` registered at start.
 */
export async function startGatewayProcess(options: {
  pgliteDir: string;
  logFile: string;
  services: string;
  env?: Record<string, string>;
  /** Runs the gateway under Bun's CPU profiler, which writes its profile here when the gateway stops. */
  cpuProfileDir?: string;
}): Promise<ServiceProcess> {
  const port = freePort();
  // Profiled, the gateway is started directly, with the runtime setting `start:gateway` makes.
  const command = options.cpuProfileDir
    ? [
        process.execPath,
        "--cpu-prof",
        "--cpu-prof-md",
        `--cpu-prof-dir=${options.cpuProfileDir}`,
        "gateway/src/main.ts",
      ]
    : [process.execPath, "run", "start:gateway"];
  const child = Bun.spawn(command, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: String(port),
      PGLITE_DIR: options.pgliteDir,
      GATEWAY_SERVICES: options.services,
      ...(options.cpuProfileDir ? START_GATEWAY_ENV : {}),
      ...options.env,
    },
    stdout: Bun.file(options.logFile),
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(child, `${url}/ready`);
  return serviceProcess(child, url);
}

/** The bare reverse proxy (bare-proxy.ts) in front of `backendUrl`. */
export async function startBareProxy(backendUrl: string): Promise<ServiceProcess> {
  const port = freePort();
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "bare-proxy.ts"), backendUrl], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port) },
    stdout: "ignore",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(child, `${url}/health`);
  return serviceProcess(child, url);
}

function serviceProcess(child: Subprocess, url: string): ServiceProcess {
  return {
    url,
    pid: child.pid,
    cpuMicros: () => treeCpuMicros(child.pid),
    async stop() {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
      if (!exited) {
        child.kill("SIGKILL");
        await child.exited;
      }
    },
  };
}

async function waitUntil(child: Subprocess, url: string, giveUpMs = 60_000): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < giveUpMs) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(25);
  }
  child.kill("SIGKILL");
  throw new Error(`${url} did not answer within ${giveUpMs} ms`);
}

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux that Bun runs on. */
const TICKS_PER_SECOND = 100;

/**
 * utime + stime (fields 14 and 15 of /proc/<pid>/stat) of `pid` and of every process below it:
 * `bun run start:gateway` runs the gateway as a child of the process it spawned.
 */
export async function treeCpuMicros(pid: number): Promise<number> {
  let micros = 0;
  for (const next of await processTree(pid)) {
    const stat = await readFile(`/proc/${next}/stat`, "utf8").catch(() => undefined);
    if (stat !== undefined) micros += cpuMicrosOf(stat);
  }
  return micros;
}

/** utime + stime of a process's or a thread's `stat` line, in microseconds. */
function cpuMicrosOf(stat: string): number {
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}

/** What a process's threads do, as their names say (Linux keeps the first 15 characters of a name). */
export const THREAD_KINDS = ["main", "fetch", "collector", "jit", "other"] as const;
export type ThreadKind = (typeof THREAD_KINDS)[number];

/**
 * The kind of work of one of a Bun process's threads: `main` runs the JavaScript and the HTTP server;
 * `fetch` is the HTTP client thread; `collector` covers the garbage collector's helpers and the
 * allocators' background threads (JSC's heap helpers, the marked-block warm-up, mimalloc's scavenger),
 * which grow with what the main thread allocates; `jit` compiles hot code.
 */
function threadKind(name: string, isMain: boolean): ThreadKind {
  if (isMain) return "main";
  if (name === "HTTP Client") return "fetch";
  if (/Helper|WarmUp|scavenger|Heap/.test(name)) return "collector";
  if (/JIT|DFG|FTL|Compil/.test(name)) return "jit";
  return "other";
}

/** CPU time (user + system, in microseconds) spent so far by each thread of `pid` and of every process below it. */
export type ThreadTimes = Map<string, { kind: ThreadKind; micros: number }>;

export async function threadCpuMicros(pid: number): Promise<ThreadTimes> {
  const times: ThreadTimes = new Map();
  for (const next of await processTree(pid)) {
    for (const task of await readdir(`/proc/${next}/task`).catch(() => [] as string[])) {
      const stat = await readFile(`/proc/${next}/task/${task}/stat`, "utf8").catch(() => undefined);
      if (stat === undefined) continue;
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      times.set(task, { kind: threadKind(name, task === String(next)), micros: cpuMicrosOf(stat) });
    }
  }
  return times;
}

/**
 * What each kind of thread spent between two readings. A thread that ended in between (JSC's heap
 * warm-up thread ends after 10 s without work) took its time with it, so only threads still there
 * count: a little is missed, nothing is counted twice or negative.
 */
export function threadsSpent(before: ThreadTimes, after: ThreadTimes): Record<ThreadKind, number> {
  const byKind = Object.fromEntries(THREAD_KINDS.map((kind) => [kind, 0])) as Record<ThreadKind, number>;
  for (const [tid, { kind, micros }] of after) byKind[kind] += micros - (before.get(tid)?.micros ?? 0);
  return byKind;
}

/** `pid` and every process below it. */
async function processTree(pid: number): Promise<number[]> {
  const tree: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop() as number;
    tree.push(next);
    pending.push(...(await childrenOf(next)));
  }
  return tree;
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children: number[] = [];
  for (const task of tasks) {
    const list = await readFile(`/proc/${pid}/task/${task}/children`, "utf8").catch(() => "");
    for (const id of list.split(" ")) if (id.trim()) children.push(Number(id));
  }
  return children;
}

/** Resident memory (VmRSS) of `pid` and every process below it, in bytes. */
export async function treeRssBytes(pid: number): Promise<number> {
  let kb = 0;
  for (const next of await processTree(pid)) {
    const status = await readFile(`/proc/${next}/status`, "utf8").catch(() => "");
    kb += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return kb * 1024;
}
