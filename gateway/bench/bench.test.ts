/**
 * Runs `bun run bench --quick` as a user would and checks that every section produced figures. It says
 * nothing about how fast anything is: on a shared machine that would only make the test flaky.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BenchUsageError, parseBenchOptions } from "./bench-options.ts";
import type { BenchResults, ToolCallResults } from "./report.ts";

const REPO_ROOT = resolve(import.meta.dir, "../..");
let scratch: string | undefined;

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function runBench(args: string[]): Promise<string> {
  const child = Bun.spawn([process.execPath, "run", "bench", ...args], {
    cwd: REPO_ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  expect({ exitCode, stderr: exitCode === 0 ? "" : stderr }).toEqual({ exitCode: 0, stderr: "" });
  return stdout;
}

function expectFigures(figures: object): void {
  for (const [name, value] of Object.entries(figures)) {
    if (typeof value !== "number") continue;
    expect({ [name]: Number.isFinite(value) && value >= 0 }).toEqual({ [name]: true });
  }
}

test(
  "bench --quick prints every section and writes them all as JSON",
  async () => {
    scratch = await mkdtemp(join(tmpdir(), "mcp-bench-test-"));
    const out = join(scratch, "results.json");
    const stdout = await runBench(["--quick", "--out", out]);

    for (const heading of [
      "1. tools/call",
      "2. tools/list",
      "3. propagation",
      "4. gateway process memory",
      "5. start-up",
      "6. tool search",
      "targets",
    ]) {
      expect(stdout).toContain(heading);
    }

    const results = (await Bun.file(out).json()) as BenchResults;
    expect(results.toolCalls.map((t) => t.concurrency)).toEqual([1, 16, 64]);
    for (const t of results.toolCalls) {
      expectFigures(t.direct);
      expectFigures(t.proxy);
      expectFigures(t.gateway);
      expectFigures(t.oauth);
      expect(t.ratio).toBeGreaterThan(0);
      expect(t.proxyRatio).toBeGreaterThan(0);
      expect(t.gatewayCpuUs).toBeGreaterThanOrEqual(0);
      expect(t.proxyCpuUs).toBeGreaterThanOrEqual(0);
      expect(t.oauthCpuUs).toBeGreaterThanOrEqual(0);
      expectFigures(t.modern.direct);
      expectFigures(t.modern.proxy);
      expectFigures(t.modern.gateway);
      expect(t.modern.ratio).toBeGreaterThan(0);
      expect(t.modern.proxyRatio).toBeGreaterThan(0);
      expect(t.modern.gatewayCpuUs).toBeGreaterThanOrEqual(0);
      expect(t.modern.proxyCpuUs).toBeGreaterThanOrEqual(0);
    }
    expect(results.toolList.tools).toBe(100);
    expectFigures(results.toolList.gateway);
    expectFigures(results.toolList.gatewayIdentity);
    expectFigures(results.toolList.gatewayPaged);
    expectFigures(results.toolList.baseline);
    expect(results.propagation.trials).toBe(3);
    expectFigures(results.propagation);

    const databases: BenchResults["memory"][number]["database"][] =
      results.meta.database === "postgres" ? ["pglite", "postgres"] : ["pglite"];
    expect(results.memory.map((m) => m.database)).toEqual(databases);
    expect(results.startup.map((s) => s.database)).toEqual(databases);
    for (const m of results.memory) {
      expect(m.tools).toBe(100);
      expect(m.rssMb).toBeGreaterThan(0);
      expectFigures(m);
    }
    for (const s of results.startup) expectFigures(s);
    expect({ tools: results.toolSearch.tools, queries: results.toolSearch.queries }).toEqual({
      tools: 200,
      queries: 20,
    });
    expectFigures(results.toolSearch);
    expect(results.toolSearch.recallAt5).toBeGreaterThan(0);
    expect(results.targets.length).toBeGreaterThan(0);
  },
  { timeout: 180_000 },
);

test(
  "bench --only tool-call runs section 1 alone and writes its figures and targets",
  async () => {
    scratch ??= await mkdtemp(join(tmpdir(), "mcp-bench-test-"));
    const out = join(scratch, "tool-calls.json");
    const stdout = await runBench(["--quick", "--only", "tool-call", "--concurrency", "1", "--out", out]);
    expect(stdout).toContain("1. tools/call");
    expect(stdout).toContain("targets");
    expect(stdout).not.toContain("2. tools/list");

    const results = (await Bun.file(out).json()) as ToolCallResults & Partial<BenchResults>;
    expect(Object.keys(results).sort()).toEqual(["meta", "targets", "toolCalls"]);
    expect(results.toolCalls.map((t) => t.concurrency)).toEqual([1]);
    for (const t of results.toolCalls) {
      expect(t.gatewayCpuUs).toBeGreaterThanOrEqual(0);
      expect(t.modern.gatewayCpuUs).toBeGreaterThanOrEqual(0);
      for (const split of [t.threads.gateway, t.threads.proxy]) {
        // Written out rather than imported: importing bench-processes.ts here would count its code, which runs in the bench's processes.
        expect(Object.keys(split).sort()).toEqual(["collector", "fetch", "jit", "main", "other"]);
        for (const micros of Object.values(split)) expect(micros).toBeGreaterThanOrEqual(0);
      }
    }
    // The gateway's JavaScript runs on its main thread: a split that charged none there would be misread.
    expect(results.toolCalls.reduce((sum, t) => sum + t.threads.gateway.main, 0)).toBeGreaterThan(0);
    expect(stdout).toContain("CPU us per call by thread");
    expect(results.targets.every((t) => t.name.startsWith("tools/call"))).toBe(true);
  },
  { timeout: 120_000 },
);

test("--only names a section it knows", () => {
  expect(parseBenchOptions(["--only", "tool-call"]).only).toBe("tool-call");
  expect(parseBenchOptions([]).only).toBeUndefined();
  expect(() => parseBenchOptions(["--only", "tool-list"])).toThrow(BenchUsageError);
});
