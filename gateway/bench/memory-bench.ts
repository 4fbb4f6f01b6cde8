/**
 * Section 4: resident memory of a gateway holding a large catalog, next to one holding an empty
 * catalog on the same kind of database, and the time a catalog reload takes. Each figure comes from a
 * child process running memory-probe.ts.
 */
import type { ProbeFigures, ProbeTarget } from "./memory-probe.ts";

export interface MemoryFigures {
  database: "postgres" | "pglite";
  tools: number;
  /** After loading the catalog and answering tools/list. */
  rssMb: number;
  heapUsedMb: number;
  /** After the timed reloads, which each hold two catalogs for a moment. */
  rssAfterReloadsMb: number;
  /** The process's high-water mark, start-up and reloads included, with only the collections the gateway runs. */
  peakRssMb: number;
  /** The same gateway on an empty registry: what the runtime, the modules and the driver cost alone. */
  emptyRssMb: number;
  reloadP50Ms: number;
  reloadMaxMs: number;
  firstListP50Ms: number;
}

const PROBE = new URL("./memory-probe.ts", import.meta.url).pathname;
const MB = 1024 * 1024;

export async function benchMemory(
  database: MemoryFigures["database"],
  targets: { loaded: ProbeTarget; empty: ProbeTarget },
  reloads: number,
): Promise<MemoryFigures> {
  // One after the other: two probes at once would compete for the machine's cores.
  const loaded = await runProbe(targets.loaded, reloads);
  const empty = await runProbe(targets.empty, 1);
  return {
    database,
    tools: loaded.tools,
    rssMb: loaded.rssBytes / MB,
    heapUsedMb: loaded.heapUsedBytes / MB,
    rssAfterReloadsMb: loaded.rssAfterReloadsBytes / MB,
    peakRssMb: loaded.peakRssBytes / MB,
    emptyRssMb: empty.rssBytes / MB,
    reloadP50Ms: loaded.reloadP50Ms,
    reloadMaxMs: loaded.reloadMaxMs,
    firstListP50Ms: loaded.firstListP50Ms,
  };
}

async function runProbe(target: ProbeTarget, reloads: number): Promise<ProbeFigures> {
  const child = Bun.spawn([process.execPath, PROBE, JSON.stringify(target), String(reloads)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const [output, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const lastLine = output.trim().split("\n").at(-1) ?? "";
  if (exitCode !== 0 || !lastLine.startsWith("{"))
    throw new Error(`memory probe exited with ${exitCode}: ${output.slice(-500)}`);
  return JSON.parse(lastLine) as ProbeFigures;
}
