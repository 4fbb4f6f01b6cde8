/**
 * Section 4's child process: one gateway and nothing else, so the resident memory it reports is the
 * gateway's own. It loads the registry it is pointed at and serves tools/list (steady state, measured),
 * then times forced catalog reloads and measures again, and prints its figures as one JSON line.
 *
 * Usage: bun gateway/bench/memory-probe.ts '{"databaseUrl":"postgres://…"}' | '{"pgliteDir":"…"}'
 */
import { createGateway } from "../src/gateway.ts";
import { benchLog, SEEDED_REGISTRY_CONFIG } from "./bench-gateway.ts";
import { percentile } from "./stats.ts";

export interface ProbeTarget {
  databaseUrl?: string;
  /** A PGlite data directory. */
  pgliteDir?: string;
}

export interface ProbeFigures {
  tools: number;
  /** After loading the catalog and answering tools/list. */
  rssBytes: number;
  heapUsedBytes: number;
  /** After the timed reloads: each builds a new catalog while the old one still serves. */
  rssAfterReloadsBytes: number;
  /** The most the process ever held, start and reloads included: no collection forced but the gateway's own. */
  peakRssBytes: number;
  reloadP50Ms: number;
  reloadMaxMs: number;
  /** The first tools/list after a reload, which may pay for work a reload defers. */
  firstListP50Ms: number;
}

const LIST_REQUEST = { jsonrpc: "2.0", id: 1, method: "tools/list" };

/** After a full collection, so garbage does not count; what the allocator keeps does, as the OS sees it. */
function memory(): NodeJS.MemoryUsage {
  Bun.gc(true);
  return process.memoryUsage();
}

async function probe(target: ProbeTarget, reloads: number): Promise<ProbeFigures> {
  const config = SEEDED_REGISTRY_CONFIG;
  const database = {
    ...config.database,
    url: target.databaseUrl,
    pgliteDir: target.pgliteDir ?? config.database.pgliteDir,
  };
  const gateway = await createGateway({ ...config, database }, { log: benchLog });
  try {
    const list = async () => {
      const response = await gateway.app.request("http://127.0.0.1/mcp", {
        method: "POST",
        headers: {
          // A request that never crossed a socket has no Host header unless given one.
          Host: "127.0.0.1",
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          Authorization: `Bearer ${config.bearerToken}`,
        },
        body: JSON.stringify(LIST_REQUEST),
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`tools/list answered ${response.status}: ${body.slice(0, 200)}`);
    };
    for (let i = 0; i < 3; i++) await list();
    const steady = memory();
    const reloadMs: number[] = [];
    const firstListMs: number[] = [];
    for (let i = 0; i < reloads; i++) {
      const started = performance.now();
      await gateway.catalog.reload(0, { force: true });
      const reloaded = performance.now();
      await list();
      reloadMs.push(reloaded - started);
      firstListMs.push(performance.now() - reloaded);
    }
    return {
      tools: gateway.catalog.snapshot().tools.length,
      rssBytes: steady.rss,
      heapUsedBytes: steady.heapUsed,
      // Read before memory() collects; the high-water mark would not drop anyway.
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      rssAfterReloadsBytes: memory().rss,
      reloadP50Ms: percentile(reloadMs, 50),
      reloadMaxMs: Math.max(...reloadMs),
      firstListP50Ms: percentile(firstListMs, 50),
    };
  } finally {
    await gateway.close();
  }
}

if (import.meta.main) {
  const [targetJson = "{}", reloads = "3"] = Bun.argv.slice(2);
  const figures = await probe(JSON.parse(targetJson) as ProbeTarget, Number(reloads));
  console.log(JSON.stringify(figures));
  process.exit(0);
}
