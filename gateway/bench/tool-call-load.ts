/**
 * The load client of section 1, a process of its own so that neither the gateway nor the proxy shares
 * a core's event loop with it: SDK clients call getProductById on each contender in interleaved rounds,
 * and the CPU time each contender's process tree spent during its rounds is read from /proc. A
 * contender of the 2026-07-28 revision is driven by the v2 SDK client pinned to it; the others by the
 * 1.x client, which speaks 2025-11-25.
 *
 * Usage: bun gateway/bench/tool-call-load.ts '<LoadPlan as JSON>'; prints one JSON line of LoadFigures.
 */
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { connectClient } from "../test/support/gateway-harness.ts";
import { type ThreadKind, threadCpuMicros, threadsSpent, treeCpuMicros } from "./bench-processes.ts";
import { interleavedRounds, type LatencySummary, measureRound } from "./stats.ts";

export interface LoadContender {
  name: string;
  mcpUrl: string;
  token: string;
  /** The process whose CPU time is charged to this contender's calls, when it has one of its own. */
  pid?: number;
  /** Pins the v2 client to this revision; without it the 1.x client is used. */
  revision?: "2026-07-28";
}

/** What the load needs of either SDK's client. */
interface CallingClient {
  callTool(params: typeof CALL): Promise<{ isError?: unknown; content?: unknown }>;
  close(): Promise<void>;
}

export interface LoadPlan {
  contenders: LoadContender[];
  concurrency: number[];
  rounds: number;
  /** Calls per round, shared evenly among the clients. */
  calls: number;
  /** Most warm-up calls per contender (see warmUp). */
  warmupCalls: number;
}

export interface ContenderLevel {
  rounds: LatencySummary[];
  calls: number;
  /** CPU time of the contender's process over its rounds, when it has a pid. */
  cpuMicros?: number;
}

/**
 * Per concurrency level, per contender name; and the CPU time of each contender process's threads over
 * the level's rounds, by kind of work (keyed by pid: one process serves several contenders).
 */
export type LoadFigures = {
  concurrency: number;
  contenders: Record<string, ContenderLevel>;
  threads: Record<number, Record<ThreadKind, number>>;
}[];

const CALL = { name: "getProductById", arguments: { id: "123" } };
/** Warm-up calls are made in batches of this many, and each batch's CPU time per call compared. */
const WARMUP_BATCH = 500;
/** A batch this much cheaper per call than the best before it means the process is still warming up. */
const STILL_WARMING = 0.95;
/** Batches in a row without such a gain before the process counts as warm: one alone may be noise. */
const SETTLED_BATCHES = 3;

async function runLoad(plan: LoadPlan): Promise<LoadFigures> {
  const clientCount = Math.max(...plan.concurrency);
  const clients = await Promise.all(
    plan.contenders.map((c) => Promise.all(Array.from({ length: clientCount }, () => connect(c)))),
  );
  try {
    for (const [index, set] of clients.entries())
      await warmUp(set, plan.contenders[index] as LoadContender, plan.warmupCalls);
    const figures: LoadFigures = [];
    for (const concurrency of plan.concurrency) {
      const perClient = Math.max(1, Math.round(plan.calls / concurrency));
      const levels = plan.contenders.map((): ContenderLevel => ({ rounds: [], calls: 0 }));
      const contenders = plan.contenders.map((contender, index) => async () => {
        const level = levels[index] as ContenderLevel;
        const set = clients[index] as CallingClient[];
        const before = contender.pid === undefined ? 0 : await treeCpuMicros(contender.pid);
        const round = await measureRound(concurrency, perClient, (worker) => callOnce(set[worker] as CallingClient));
        if (contender.pid !== undefined)
          level.cpuMicros = (level.cpuMicros ?? 0) + (await treeCpuMicros(contender.pid)) - before;
        level.calls += concurrency * perClient;
        return round;
      });
      const pids = [...new Set(plan.contenders.flatMap((c) => (c.pid === undefined ? [] : [c.pid])))];
      const threadsBefore = await Promise.all(pids.map(threadCpuMicros));
      const rounds = await interleavedRounds(plan.rounds, contenders);
      const threadsAfter = await Promise.all(pids.map(threadCpuMicros));
      figures.push({
        concurrency,
        contenders: Object.fromEntries(
          plan.contenders.map((c, i) => [c.name, { ...(levels[i] as ContenderLevel), rounds: rounds[i] ?? [] }]),
        ),
        threads: Object.fromEntries(
          pids.map((pid, i) => [pid, threadsSpent(threadsBefore[i] ?? new Map(), threadsAfter[i] ?? new Map())]),
        ),
      });
    }
    return figures;
  } finally {
    await Promise.all(clients.flat().map((c) => c.close().catch(() => {})));
  }
}

async function connect(contender: LoadContender): Promise<CallingClient> {
  if (!contender.revision) return (await connectClient(contender.mcpUrl, contender.token)) as CallingClient;
  const client = new ModernClient(
    { name: "bench", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: contender.revision } } },
  );
  await client.connect(
    new ModernTransport(new URL(contender.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${contender.token}` } },
    }),
  );
  return client as CallingClient;
}

/**
 * Lets the JIT of every process and the connection pools settle before anything is timed. A process's
 * JIT keeps compiling for thousands of calls (the gateway's code is larger than the proxy's, so it
 * takes longer): timing it then would charge compile time that a long-running gateway paid once, long
 * ago, to every call. So a contender with a process of its own is called in batches until several
 * batches in a row are no longer clearly cheaper per call than the best before them, or until `maxCalls`.
 */
async function warmUp(clients: CallingClient[], contender: LoadContender, maxCalls: number): Promise<void> {
  const batch = async (calls: number) => {
    const perClient = Math.ceil(calls / clients.length);
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < perClient; i++) await callOnce(client);
      }),
    );
    return perClient * clients.length;
  };
  const { pid } = contender;
  if (pid === undefined) {
    await batch(Math.min(WARMUP_BATCH, maxCalls));
    return;
  }
  let best = Number.POSITIVE_INFINITY;
  let settled = 0;
  for (let made = 0; made < maxCalls && settled < SETTLED_BATCHES; ) {
    const before = await treeCpuMicros(pid);
    const calls = await batch(Math.min(WARMUP_BATCH, maxCalls - made));
    made += calls;
    const perCall = ((await treeCpuMicros(pid)) - before) / calls;
    settled = perCall > best * STILL_WARMING ? settled + 1 : 0;
    best = Math.min(best, perCall);
  }
}

async function callOnce(client: CallingClient): Promise<void> {
  const result = await client.callTool(CALL);
  // A fast failure must not pass for a fast call.
  if (result.isError) throw new Error(`getProductById failed: ${JSON.stringify(result.content)}`);
}

if (import.meta.main) {
  const figures = await runLoad(JSON.parse(Bun.argv[2] ?? "{}") as LoadPlan);
  console.log(JSON.stringify(figures));
  process.exit(0);
}
