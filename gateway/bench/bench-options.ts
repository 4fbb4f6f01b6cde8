/**
 * Command-line flags of `bun run bench`. Every size has a full default and a --quick default (tiny, for
 * the smoke test); a flag given explicitly wins over both.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

export interface BenchOptions {
  quick: boolean;
  /** Where the JSON results go. */
  out: string;
  /** Section 1: client concurrency levels, rounds per contender, calls per round (shared by the clients). */
  concurrency: number[];
  rounds: number;
  calls: number;
  /** Section 1: most warm-up calls per contender before its rounds (they stop once its CPU per call settles). */
  warmupCalls: number;
  /** Section 2: registry size, and tools/list requests per round for the gateway and the baseline. */
  services: number;
  toolsPerService: number;
  listRequests: number;
  baselineRequests: number;
  /** Section 3: registrations timed. */
  trials: number;
  /** Section 4: catalog reloads timed. */
  reloads: number;
  /** Section 5: gateway starts timed per database. */
  startups: number;
  /** Section 6: tools in the generated catalog, and labelled queries searched per round. */
  searchTools: number;
  searchQueries: number;
  /** --soak runs the soak test (soak-bench.ts) instead of the sections: calls, clients, time limit. */
  soak: boolean;
  soakCalls: number;
  soakConcurrency: number;
  soakMinutes: number;
  /** --cpu-prof DIR runs section 1's gateway under Bun's CPU profiler, which writes its profile to DIR. */
  cpuProf?: string;
  /** --only tool-call runs section 1 alone, for measuring the hot path without waiting for the rest. */
  only?: BenchSection;
}

export const BENCH_SECTIONS = ["tool-call"] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

const FULL = {
  rounds: 7,
  calls: 400,
  warmupCalls: 10_000,
  services: 1000,
  toolsPerService: 10,
  listRequests: 200,
  baselineRequests: 10,
  trials: 60,
  reloads: 10,
  startups: 3,
  searchTools: 10_000,
  searchQueries: 120,
  soakCalls: 1_000_000,
};

const QUICK: typeof FULL = {
  rounds: 2,
  calls: 16,
  warmupCalls: 200,
  services: 20,
  toolsPerService: 5,
  listRequests: 5,
  baselineRequests: 2,
  trials: 3,
  reloads: 2,
  startups: 1,
  searchTools: 200,
  searchQueries: 20,
  soakCalls: 2_000,
};

const count = z.coerce.number().int().min(1).max(1_000_000).optional();

const flagsSchema = z.object({
  quick: z.boolean().default(false),
  soak: z.boolean().default(false),
  out: z.string().min(1).default("bench-results.json"),
  concurrency: z
    .string()
    .default("1,16,64")
    .transform((v) => v.split(",").map((s) => Number(s.trim())))
    .pipe(z.array(z.number().int().min(1).max(256)).min(1)),
  rounds: count,
  calls: count,
  "warmup-calls": count,
  services: count,
  "tools-per-service": count,
  "list-requests": count,
  "baseline-requests": count,
  trials: count,
  reloads: count,
  startups: count,
  "search-tools": count,
  "search-queries": count,
  "soak-calls": count,
  "soak-concurrency": z.coerce.number().int().min(1).max(256).default(16),
  "cpu-prof": z.string().min(1).optional(),
  only: z.enum(BENCH_SECTIONS).optional(),
  "soak-minutes": z.coerce
    .number()
    .min(0.1)
    .max(24 * 60)
    .default(90),
});

const SWITCHES = ["quick", "soak"];
const FLAG_NAMES = Object.keys(flagsSchema.shape).filter((name) => !SWITCHES.includes(name));

const USAGE = `Usage: bun run bench [--quick] [--soak] [--only ${BENCH_SECTIONS.join("|")}] [--out FILE] [--cpu-prof DIR] ${FLAG_NAMES.filter(
  (n) => n !== "out" && n !== "cpu-prof" && n !== "only",
)
  .map((n) => `[--${n} N]`)
  .join(" ")}`;

export class BenchUsageError extends Error {}

export function parseBenchOptions(argv: string[]): BenchOptions {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean" },
        soak: { type: "boolean" },
        ...Object.fromEntries(FLAG_NAMES.map((name) => [name, { type: "string" as const }])),
      },
      strict: true,
    }));
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const parsed = flagsSchema.safeParse(values);
  if (!parsed.success) throw new BenchUsageError(`${z.prettifyError(parsed.error)}\n${USAGE}`);
  const flags = parsed.data;
  const sizes = flags.quick ? QUICK : FULL;
  return {
    quick: flags.quick,
    out: flags.out,
    concurrency: flags.concurrency,
    rounds: flags.rounds ?? sizes.rounds,
    calls: flags.calls ?? sizes.calls,
    warmupCalls: flags["warmup-calls"] ?? sizes.warmupCalls,
    services: flags.services ?? sizes.services,
    toolsPerService: flags["tools-per-service"] ?? sizes.toolsPerService,
    listRequests: flags["list-requests"] ?? sizes.listRequests,
    baselineRequests: flags["baseline-requests"] ?? sizes.baselineRequests,
    trials: flags.trials ?? sizes.trials,
    reloads: flags.reloads ?? sizes.reloads,
    startups: flags.startups ?? sizes.startups,
    searchTools: flags["search-tools"] ?? sizes.searchTools,
    searchQueries: flags["search-queries"] ?? sizes.searchQueries,
    soak: flags.soak,
    soakCalls: flags["soak-calls"] ?? sizes.soakCalls,
    soakConcurrency: flags["soak-concurrency"],
    soakMinutes: flags["soak-minutes"],
    cpuProf: flags["cpu-prof"],
    only: flags.only,
  };
}
