/** Summaries of measured samples. Percentiles use the nearest-rank method, which needs no interpolation. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface LatencySummary {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** One measured round: `latenciesMs` of every operation, `elapsedMs` of the whole round. */
function summarizeRound(latenciesMs: readonly number[], elapsedMs: number): LatencySummary {
  return {
    opsPerSecond: (latenciesMs.length / elapsedMs) * 1000,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
  };
}

/** Each figure is the median of that figure over the rounds, so one noisy round cannot move it. */
export function medianOfRounds(rounds: readonly LatencySummary[]): LatencySummary {
  return {
    opsPerSecond: median(rounds.map((r) => r.opsPerSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
  };
}

/**
 * Runs `workers` loops of `perWorker` sequential operations at once and times each operation.
 * Concurrency comes from the loops, as from that many independent clients.
 */
export async function measureRound(
  workers: number,
  perWorker: number,
  operation: (worker: number) => Promise<unknown>,
): Promise<LatencySummary> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; i < perWorker; i++) {
        const t0 = performance.now();
        await operation(worker);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarizeRound(latencies, performance.now() - started);
}

/**
 * Measures contenders in rounds, rotating who goes first (A B C, B C A, C A B, ...) so all see the same
 * machine noise and none always runs first. Each measurement starts after a full garbage collection, so
 * no contender pays for another's garbage. Returns every round of each contender, in contender order.
 */
export async function interleavedRounds(
  rounds: number,
  contenders: (() => Promise<LatencySummary>)[],
): Promise<LatencySummary[][]> {
  const results = contenders.map((): LatencySummary[] => []);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < contenders.length; turn++) {
      const which = (round + turn) % contenders.length;
      Bun.gc(true);
      results[which]?.push(await (contenders[which] as () => Promise<LatencySummary>)());
    }
  }
  return results;
}

/** The median over rounds of one contender's ops/s divided by another's in the same round. */
export function medianRatio(numerator: readonly LatencySummary[], denominator: readonly LatencySummary[]): number {
  return median(numerator.map((n, i) => n.opsPerSecond / (denominator[i] as LatencySummary).opsPerSecond));
}
