/**
 * Section 1: what the gateway hop costs a tool call, measured as users deploy it. The shopping backend,
 * the gateway (`bun run start:gateway`, default settings, access log on) and a bare reverse proxy (the
 * floor: Bun passing each request on with `fetch`) each run in a process of their own, and a fourth
 * process drives them with SDK clients in interleaved rounds: directly, through the proxy, and through
 * the gateway with the static token and with an OAuth access token, each with a 2025-11-25 client (SDK
 * 1.x) and, but for OAuth, a v2 client pinned to 2026-07-28. The gateway's and the proxy's CPU time per
 * forwarded call comes from /proc.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_CONFIG, BENCH_OAUTH_AUDIENCE } from "./bench-gateway.ts";
import { startBareProxy, startGatewayProcess, type ThreadKind } from "./bench-processes.ts";
import { type LatencySummary, medianOfRounds, medianRatio } from "./stats.ts";
import type { ContenderLevel, LoadFigures, LoadPlan } from "./tool-call-load.ts";

/** One protocol revision's figures at one concurrency level. */
export interface RevisionFigures {
  direct: LatencySummary;
  proxy: LatencySummary;
  gateway: LatencySummary;
  /** Gateway ops/s over direct ops/s: the median over rounds of each adjacent pair's ratio. */
  ratio: number;
  /** Gateway ops/s over bare-proxy ops/s, by the same rule. */
  proxyRatio: number;
  /** CPU time (user + system) per forwarded call of the gateway's and of the proxy's process. */
  gatewayCpuUs: number;
  proxyCpuUs: number;
}

/** CPU time per forwarded call by kind of thread (bench-processes.ts's THREAD_KINDS), over all of a process's calls at a level. */
export type ThreadSplit = Record<ThreadKind, number>;

/** The 2025-11-25 figures at the top level, as before the second revision was measured. */
export interface ToolCallFigures extends RevisionFigures {
  concurrency: number;
  /** Through the gateway with an OAuth access token instead of the static token. */
  oauth: LatencySummary;
  /** OAuth ops/s over static-token ops/s, by the same rule. */
  oauthRatio: number;
  /** The gateway's CPU time per call with the OAuth token. */
  oauthCpuUs: number;
  /** The same calls from a v2 client pinned to the 2026-07-28 revision. */
  modern: RevisionFigures;
  /** Where the CPU time went, per call of either revision and either token: the gateway's threads and the proxy's. */
  threads: { gateway: ThreadSplit; proxy: ThreadSplit };
}

export interface ToolCallBenchOptions {
  /** Base URL of the shopping backend. */
  backendUrl: string;
  /** The OAuth issuer the gateway trusts, and a token it issued for BENCH_OAUTH_AUDIENCE. */
  oauthIssuer: string;
  oauthToken: string;
  concurrency: number[];
  rounds: number;
  /** Calls per round, shared evenly among the clients, so every level takes about as long. */
  calls: number;
  /** Most warm-up calls per contender. */
  warmupCalls: number;
  /** Where the gateway's CPU profile goes, when it is to be profiled. */
  cpuProfileDir?: string;
}

const MODERN = "2026-07-28";
const LOAD = new URL("./tool-call-load.ts", import.meta.url).pathname;
/** What the demo backends require (see shopping's MCP_BEARER_TOKEN default). */
const BACKEND_TOKEN = "mcp-token-123";

export async function benchToolCalls(options: ToolCallBenchOptions): Promise<ToolCallFigures[]> {
  const scratch = await mkdtemp(join(tmpdir(), "mcp-bench-deployed-"));
  try {
    const proxy = await startBareProxy(options.backendUrl);
    try {
      const gateway = await startGatewayProcess({
        pgliteDir: join(scratch, "pglite"),
        logFile: join(scratch, "gateway.log"),
        services: `shopping-service=${options.backendUrl}`,
        // The one setting that is not a default: the static token is checked before OAuth is consulted.
        env: { OAUTH_ISSUER: options.oauthIssuer, OAUTH_AUDIENCE: BENCH_OAUTH_AUDIENCE },
        cpuProfileDir: options.cpuProfileDir,
      });
      try {
        const plan: LoadPlan = {
          contenders: [
            { name: "direct", mcpUrl: `${options.backendUrl}/mcp`, token: BACKEND_TOKEN },
            { name: "proxy", mcpUrl: `${proxy.url}/mcp`, token: BACKEND_TOKEN, pid: proxy.pid },
            { name: "gateway", mcpUrl: `${gateway.url}/mcp`, token: BENCH_CONFIG.bearerToken, pid: gateway.pid },
            { name: "oauth", mcpUrl: `${gateway.url}/mcp`, token: options.oauthToken, pid: gateway.pid },
            { name: "direct-2026", mcpUrl: `${options.backendUrl}/mcp`, token: BACKEND_TOKEN, revision: MODERN },
            { name: "proxy-2026", mcpUrl: `${proxy.url}/mcp`, token: BACKEND_TOKEN, pid: proxy.pid, revision: MODERN },
            {
              name: "gateway-2026",
              mcpUrl: `${gateway.url}/mcp`,
              token: BENCH_CONFIG.bearerToken,
              pid: gateway.pid,
              revision: MODERN,
            },
          ],
          concurrency: options.concurrency,
          rounds: options.rounds,
          calls: options.calls,
          warmupCalls: options.warmupCalls,
        };
        // The contenders a process serves share its threads' time: their calls, by the plan's pids.
        const servedBy = (pid: number) => plan.contenders.filter((c) => c.pid === pid).map((c) => c.name);
        return (await runLoadProcess(plan)).map((level) =>
          figuresOf(level, {
            gateway: { pid: gateway.pid, contenders: servedBy(gateway.pid) },
            proxy: { pid: proxy.pid, contenders: servedBy(proxy.pid) },
          }),
        );
      } finally {
        await gateway.stop();
      }
    } finally {
      await proxy.stop();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const cpuPerCall = (l: ContenderLevel) => (l.cpuMicros ?? Number.NaN) / l.calls;

function figuresOf(
  { concurrency, contenders, threads }: LoadFigures[number],
  processes: Record<"gateway" | "proxy", { pid: number; contenders: string[] }>,
): ToolCallFigures {
  const level = (name: string) => contenders[name] as ContenderLevel;
  const perCall = ({ pid, contenders: served }: { pid: number; contenders: string[] }): ThreadSplit => {
    const calls = served.reduce((sum, name) => sum + level(name).calls, 0);
    return Object.fromEntries(
      Object.entries(threads[pid] ?? {}).map(([kind, micros]) => [kind, micros / calls]),
    ) as ThreadSplit;
  };
  return {
    concurrency,
    ...revisionFigures(level("direct"), level("proxy"), level("gateway")),
    oauth: medianOfRounds(level("oauth").rounds),
    oauthRatio: medianRatio(level("oauth").rounds, level("gateway").rounds),
    oauthCpuUs: cpuPerCall(level("oauth")),
    modern: revisionFigures(level("direct-2026"), level("proxy-2026"), level("gateway-2026")),
    threads: { gateway: perCall(processes.gateway), proxy: perCall(processes.proxy) },
  };
}

function revisionFigures(direct: ContenderLevel, proxy: ContenderLevel, gateway: ContenderLevel): RevisionFigures {
  return {
    direct: medianOfRounds(direct.rounds),
    proxy: medianOfRounds(proxy.rounds),
    gateway: medianOfRounds(gateway.rounds),
    ratio: medianRatio(gateway.rounds, direct.rounds),
    proxyRatio: medianRatio(gateway.rounds, proxy.rounds),
    gatewayCpuUs: cpuPerCall(gateway),
    proxyCpuUs: cpuPerCall(proxy),
  };
}

async function runLoadProcess(plan: LoadPlan): Promise<LoadFigures> {
  const child = Bun.spawn([process.execPath, LOAD, JSON.stringify(plan)], {
    // The clients of every contender, and the gateway's event streams, stay open at once: more than Bun's 256 default.
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "4096" },
    stdout: "pipe",
    stderr: "inherit",
  });
  const [output, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const lastLine = output.trim().split("\n").at(-1) ?? "";
  if (exitCode !== 0 || !lastLine.startsWith("["))
    throw new Error(`the load process exited with ${exitCode}: ${output.slice(-500)}`);
  return JSON.parse(lastLine) as LoadFigures;
}
