/** The benchmark's results: their JSON shape, the targets they are held to, and the printed table. */

import { THREAD_KINDS } from "./bench-processes.ts";
import type { MemoryFigures } from "./memory-bench.ts";
import type { PropagationFigures } from "./propagation-bench.ts";
import type { SoakFigures } from "./soak-bench.ts";
import type { StartupFigures } from "./startup-bench.ts";
import type { RevisionFigures, ToolCallFigures } from "./tool-call-bench.ts";
import type { ToolListFigures } from "./tool-list-bench.ts";
import type { ToolSearchFigures } from "./tool-search-bench.ts";

export interface BenchResults {
  meta: {
    startedAt: string;
    bun: string;
    cpus: number;
    quick: boolean;
    database: "postgres" | "pglite";
    versionStore: "redis" | "memory";
    sizes: Record<string, unknown>;
  };
  toolCalls: ToolCallFigures[];
  toolList: ToolListFigures;
  propagation: PropagationFigures & { versionStore: "redis" | "memory" };
  memory: MemoryFigures[];
  startup: StartupFigures[];
  toolSearch: ToolSearchFigures;
  targets: TargetCheck[];
}

/** What `bun run bench --only tool-call` writes: section 1 and its targets. */
export interface ToolCallResults {
  meta: BenchResults["meta"];
  toolCalls: ToolCallFigures[];
  targets: TargetCheck[];
}

export interface SoakResults {
  meta: BenchResults["meta"];
  soak: SoakFigures;
  targets: TargetCheck[];
}

/** How far the last tenth's p99 may rise over the second's before it counts as drift, on a noisy machine. */
const P99_DRIFT_LIMIT = 1.5;

export function checkSoakTargets(soak: SoakFigures): TargetCheck[] {
  const short =
    soak.calls < soak.plannedCalls ? { note: `stopped at ${soak.calls} of ${soak.plannedCalls} calls` } : {};
  return [
    {
      name: "soak RSS growth after the first tenth",
      target: "<= 10%",
      value: soak.rssGrowth * 100,
      met: soak.rssGrowth <= 0.1,
      ...short,
    },
    {
      name: "soak p99, last tenth over second (the first with a restart)",
      target: `<= ${P99_DRIFT_LIMIT}x`,
      value: soak.p99Drift,
      met: soak.p99Drift <= P99_DRIFT_LIMIT,
      ...short,
    },
  ];
}

export function formatSoakReport(r: SoakResults): string {
  const out: string[] = [];
  const { soak } = r;
  out.push(`MCP gateway soak  ${r.meta.startedAt}  bun ${r.meta.bun}, ${r.meta.cpus} cpus`);
  section(
    out,
    `soak: ${soak.calls} tools/call through a gateway process at c=${soak.concurrency}, backend killed and restarted ${soak.restarts} times`,
  );
  out.push(
    ...table(
      ["calls", "tool errors", "p50 ms", "p99 ms", "gateway RSS MB"],
      soak.blocks.map((b) => [b.calls, b.errors, b.p50Ms, b.p99Ms, b.rssMb]),
    ),
  );
  targetsSection(out, r.targets);
  return `${out.join("\n")}\n`;
}

export interface TargetCheck {
  name: string;
  target: string;
  value: number;
  met: boolean;
  note?: string;
}

export function checkToolCallTargets(toolCalls: ToolCallFigures[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const t of toolCalls) {
    for (const [revision, figures] of [
      ["2025-11-25", t],
      ["2026-07-28", t.modern],
    ] as const) {
      checks.push({
        name: `tools/call ${revision} gateway/bare proxy c=${t.concurrency}`,
        target: ">= 0.95",
        value: figures.proxyRatio,
        met: figures.proxyRatio >= 0.95,
      });
      const cpuRatio = figures.gatewayCpuUs / figures.proxyCpuUs;
      checks.push({
        name: `tools/call ${revision} CPU per call, gateway/bare proxy c=${t.concurrency}`,
        target: "<= 1.2x",
        value: cpuRatio,
        met: cpuRatio <= 1.2,
      });
    }
  }
  for (const { concurrency, oauthRatio } of toolCalls) {
    checks.push({
      name: `tools/call OAuth token/static token c=${concurrency}`,
      target: ">= 0.95",
      value: oauthRatio,
      met: oauthRatio >= 0.95,
    });
  }
  return checks;
}

export function checkTargets(results: Omit<BenchResults, "targets">): TargetCheck[] {
  const checks = checkToolCallTargets(results.toolCalls);
  const { speedup, speedupIdentity } = results.toolList;
  checks.push({
    name: `tools/list ${results.toolList.tools} tools vs per-request DB`,
    target: ">= 20x",
    value: speedup,
    met: speedup >= 20,
  });
  checks.push({
    name: `tools/list ${results.toolList.tools} tools vs per-request DB, uncompressed`,
    target: ">= 20x",
    value: speedupIdentity,
    met: speedupIdentity >= 20,
  });
  const { p99Ms, versionStore } = results.propagation;
  checks.push({
    name: "propagation p99",
    target: "< 50 ms",
    value: p99Ms,
    met: p99Ms < 50,
    ...(versionStore === "redis" ? {} : { note: "in-process version store, not Redis" }),
  });
  for (const m of results.memory) {
    checks.push({
      name: `RSS with ${m.tools} tools (${m.database})`,
      target: "< 200 MB",
      value: m.rssMb,
      met: m.rssMb < 200,
    });
    checks.push({
      name: `catalog reload p50 (${m.database})`,
      target: "< 500 ms",
      value: m.reloadP50Ms,
      met: m.reloadP50Ms < 500,
    });
  }
  return checks;
}

function reportHeader(m: BenchResults["meta"]): string[] {
  return [
    `MCP gateway benchmark  ${m.startedAt}  bun ${m.bun}, ${m.cpus} cpus${m.quick ? ", QUICK sizes" : ""}`,
    `database ${m.database}, version store ${m.versionStore}`,
  ];
}

function toolCallSection(out: string[], toolCalls: ToolCallFigures[]): void {
  section(
    out,
    "1. tools/call getProductById (SDK client in its own process): direct, bare proxy, gateway; median of rounds",
  );
  const revisionRow = (revision: string, c: number, t: RevisionFigures) => [
    revision,
    c,
    t.direct.opsPerSecond,
    t.proxy.opsPerSecond,
    t.proxy.p50Ms,
    t.proxy.p99Ms,
    t.proxyCpuUs,
    t.gateway.opsPerSecond,
    t.gateway.p50Ms,
    t.gateway.p99Ms,
    t.gatewayCpuUs,
    t.ratio,
    t.proxyRatio,
  ];
  out.push(
    ...table(
      [
        "revision",
        "c",
        "direct ops/s",
        "proxy ops/s",
        "p50 ms",
        "p99 ms",
        "CPU us/call",
        "gateway ops/s",
        "p50 ms",
        "p99 ms",
        "CPU us/call",
        "vs direct",
        "vs proxy",
      ],
      [
        ...toolCalls.map((t) => revisionRow("2025-11-25", t.concurrency, t)),
        ...toolCalls.map((t) => revisionRow("2026-07-28", t.concurrency, t.modern)),
      ],
    ),
  );
  out.push("", "   with an OAuth access token (2025-11-25):");
  out.push(
    ...table(
      ["c", "OAuth ops/s", "p50 ms", "p99 ms", "CPU us/call", "vs static token"],
      toolCalls.map((t) => [
        t.concurrency,
        t.oauth.opsPerSecond,
        t.oauth.p50Ms,
        t.oauth.p99Ms,
        t.oauthCpuUs,
        t.oauthRatio,
      ]),
    ),
  );
}

/** Where the gateway's and the proxy's CPU time per call went, by kind of thread. */
function threadSplitSection(out: string[], toolCalls: ToolCallFigures[]): void {
  out.push(
    "",
    "   CPU us per call by thread, all calls of the level (main: JavaScript and the HTTP server; fetch: HTTP client;",
  );
  out.push("   collector: GC helpers, heap warm-up, allocator scavenger; jit: compilers):");
  out.push(
    ...table(
      ["c", "process", ...THREAD_KINDS],
      toolCalls.flatMap((t) => [
        [t.concurrency, "gateway", ...THREAD_KINDS.map((kind) => Math.round(t.threads.gateway[kind] ?? 0))],
        [t.concurrency, "proxy", ...THREAD_KINDS.map((kind) => Math.round(t.threads.proxy[kind] ?? 0))],
      ]),
    ),
  );
}

export function formatToolCallReport(r: ToolCallResults): string {
  const out = reportHeader(r.meta);
  toolCallSection(out, r.toolCalls);
  threadSplitSection(out, r.toolCalls);
  targetsSection(out, r.targets);
  return `${out.join("\n")}\n`;
}

export function formatReport(r: BenchResults): string {
  const out = reportHeader(r.meta);
  toolCallSection(out, r.toolCalls);
  threadSplitSection(out, r.toolCalls);

  const l = r.toolList;
  section(
    out,
    `2. tools/list with ${l.tools} tools (${fmt(l.answerBytes / 1e6)} MB as one answer), one client; median of rounds`,
  );
  out.push(
    ...table(
      ["server", "ops/s", "p50 ms", "p99 ms", "vs baseline"],
      [
        ["gateway, gzip as fetch asks", l.gateway.opsPerSecond, l.gateway.p50Ms, l.gateway.p99Ms, `${fmt(l.speedup)}x`],
        [
          "gateway, Accept-Encoding: identity",
          l.gatewayIdentity.opsPerSecond,
          l.gatewayIdentity.p50Ms,
          l.gatewayIdentity.p99Ms,
          `${fmt(l.speedupIdentity)}x`,
        ],
        [
          `gateway, default pages: all ${l.pages}`,
          l.gatewayPaged.opsPerSecond,
          l.gatewayPaged.p50Ms,
          l.gatewayPaged.p99Ms,
          `${fmt(l.speedupPaged)}x`,
        ],
        ["baseline (DB read per request)", l.baseline.opsPerSecond, l.baseline.p50Ms, l.baseline.p99Ms, ""],
      ],
    ),
  );

  const p = r.propagation;
  section(
    out,
    `3. propagation A -> B over ${p.trials} registrations (${p.versionStore === "redis" ? "Redis pub/sub" : "shared in-process version store"})`,
  );
  out.push(
    ...table(["p50 ms", "p99 ms", "max ms", "register on A p50 ms"], [[p.p50Ms, p.p99Ms, p.maxMs, p.registerP50Ms]]),
  );

  section(out, "4. gateway process memory (after GC) and catalog reload");
  out.push(
    ...table(
      [
        "database",
        "tools",
        "RSS MB",
        "heapUsed MB",
        "empty RSS MB",
        "RSS after reloads",
        "peak RSS MB",
        "reload p50 ms",
        "reload max ms",
        "1st list ms",
      ],
      r.memory.map((x) => [
        x.database,
        x.tools,
        x.rssMb,
        x.heapUsedMb,
        x.emptyRssMb,
        x.rssAfterReloadsMb,
        x.peakRssMb,
        x.reloadP50Ms,
        x.reloadMaxMs,
        x.firstListP50Ms,
      ]),
    ),
  );

  section(out, "5. start-up: spawn `bun run gateway/src/main.ts` to first successful tools/list");
  out.push(
    ...table(
      ["database", "tools", "runs", "p50 ms", "max ms"],
      r.startup.map((s) => [s.database, s.tools, s.runs, s.p50Ms, s.maxMs]),
    ),
  );

  const s = r.toolSearch;
  section(out, `6. tool search: ${s.queries} labelled queries over ${s.tools} tools, search_tools over HTTP`);
  out.push(
    ...table(
      ["recall@5", "1st search ms (builds index)", "p50 ms", "p99 ms"],
      [[s.recallAt5, s.firstSearchMs, s.p50Ms, s.p99Ms]],
    ),
  );

  targetsSection(out, r.targets);
  return `${out.join("\n")}\n`;
}

function targetsSection(out: string[], targets: TargetCheck[]): void {
  section(out, "targets");
  out.push(
    ...table(
      ["", "check", "target", "value"],
      targets.map((t) => [t.met ? "ok" : "MISS", t.note ? `${t.name} (${t.note})` : t.name, t.target, t.value]),
    ),
  );
}

function section(out: string[], title: string): void {
  out.push("", title);
}

function fmt(value: string | number): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

function table(header: string[], rows: (string | number)[][]): string[] {
  const cells = [header, ...rows.map((row) => row.map(fmt))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  // Text columns read best flush left, numbers flush right.
  const textColumn = header.map((_, i) => rows.every((row) => typeof row[i] === "string"));
  return cells.map((row) =>
    row
      .map((cell, i) => (textColumn[i] ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
