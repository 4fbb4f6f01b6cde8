/**
 * `bun run bench --soak`: a long run that looks for slow leaks. SDK clients send tool calls through a
 * gateway process (`bun run start:gateway`, defaults, access log on) to the shopping backend, which is
 * killed and started again at every tenth of the run while the calls go on; after each tenth the
 * gateway's resident memory and that tenth's p99 are recorded. Bounded in calls and in time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBackend } from "../test/support/backend-process.ts";
import { connectClient } from "../test/support/gateway-harness.ts";
import { BENCH_CONFIG } from "./bench-gateway.ts";
import { startGatewayProcess, treeRssBytes } from "./bench-processes.ts";
import { percentile } from "./stats.ts";

export interface SoakBlock {
  /** Calls answered so far, at the end of this block. */
  calls: number;
  /** Calls of this block that ended in a tool error (the backend was down or starting). */
  errors: number;
  p50Ms: number;
  p99Ms: number;
  /** The gateway's resident memory after the block. */
  rssMb: number;
}

export interface SoakFigures {
  /** Answered calls asked for, and answered before the run ended (early, when it ran out of time). */
  plannedCalls: number;
  calls: number;
  concurrency: number;
  restarts: number;
  blocks: SoakBlock[];
  /** Resident memory after the last block over that after the first, less one. */
  rssGrowth: number;
  /**
   * The last block's p99 over the second block's: the first with a backend restart in it, as in every
   * block after it (the first block has none, so its p99 is no baseline for theirs).
   */
  p99Drift: number;
}

export interface SoakOptions {
  calls: number;
  concurrency: number;
  /** The run stops after this long, whatever it reached. */
  maxMinutes: number;
}

const CALL = { name: "getProductById", arguments: { id: "123" } };
const BLOCKS = 10;
const MB = 1024 * 1024;

export async function benchSoak(options: SoakOptions, progress: (message: string) => void): Promise<SoakFigures> {
  const scratch = await mkdtemp(join(tmpdir(), "mcp-bench-soak-"));
  const backend = await startBackend("shopping");
  try {
    const gateway = await startGatewayProcess({
      pgliteDir: join(scratch, "pglite"),
      logFile: join(scratch, "gateway.log"),
      services: `shopping-service=${backend.url}`,
    });
    const clients: Awaited<ReturnType<typeof connectClient>>[] = [];
    try {
      for (let i = 0; i < options.concurrency; i++)
        clients.push(await connectClient(`${gateway.url}/mcp`, BENCH_CONFIG.bearerToken));
      const blockSize = Math.max(1, Math.ceil(options.calls / BLOCKS));
      const deadline = performance.now() + options.maxMinutes * 60_000;
      const blocks: SoakBlock[] = [];
      let sent = 0;
      let started = 0;
      let restarts = 0;
      let restarting: Promise<void> = Promise.resolve();
      let latencies: number[] = [];
      let errors = 0;
      const endBlock = async () => {
        blocks.push({
          calls: sent,
          errors,
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          rssMb: (await treeRssBytes(gateway.pid)) / MB,
        });
        const last = blocks.at(-1) as SoakBlock;
        progress(`soak: ${sent} calls, p99 ${last.p99Ms.toFixed(2)} ms, RSS ${last.rssMb.toFixed(0)} MB`);
        latencies = [];
        errors = 0;
      };
      // Blocks count answered calls: while the backend is down, calls fail fast and would otherwise use the
      // count up in a moment, restarting a backend that has not come back yet.
      await Promise.all(
        clients.map(async (client) => {
          while (started < options.calls && performance.now() < deadline) {
            started++;
            const t0 = performance.now();
            const result = await client.callTool(CALL);
            if (result.isError) {
              errors++;
              started--;
              // A backend that is down answers at once; no need to spin on it.
              await Bun.sleep(10);
              continue;
            }
            latencies.push(performance.now() - t0);
            sent++;
            if (sent % blockSize === 0) {
              await endBlock();
              // The calls go on while the backend is down and starting again.
              if (sent < options.calls) {
                restarts++;
                restarting = restarting.then(async () => {
                  await backend.stop();
                  await backend.start();
                });
              }
            }
          }
        }),
      );
      await restarting;
      // Calls still in flight at the last boundary are left out; a run too short for one block still gets one.
      if (blocks.length === 0) await endBlock();
      const first = blocks[0] as SoakBlock;
      const last = blocks.at(-1) as SoakBlock;
      return {
        plannedCalls: options.calls,
        calls: sent,
        concurrency: options.concurrency,
        restarts,
        blocks,
        rssGrowth: last.rssMb / first.rssMb - 1,
        p99Drift: last.p99Ms / (blocks[1] ?? first).p99Ms,
      };
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await gateway.stop();
    }
  } finally {
    await backend.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
