/**
 * Section 3: how soon a registration on one replica shows in another replica's tools/list. Each trial
 * registers a new service on gateway A through the admin API, then polls gateway B from the moment A
 * has answered.
 */

import { postToolsList, registerService, toolNamesOf } from "./bench-gateway.ts";
import { percentile } from "./stats.ts";

export interface PropagationFigures {
  trials: number;
  /** From A's answer to the registration until B lists the new tool. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The registration itself on A (discovery, database write, version bump). */
  registerP50Ms: number;
}

export interface PropagationBenchOptions {
  gatewayA: string;
  /** Gateway B's MCP endpoint. */
  gatewayB: string;
  /** A backend every trial registers again under a new name. */
  backendUrl: string;
  trials: number;
}

/** A replica that has not caught up by then has failed, and the run says so instead of waiting forever. */
const GIVE_UP_MS = 10_000;
const POLL_GAP_MS = 1;

export async function benchPropagation(options: PropagationBenchOptions): Promise<PropagationFigures> {
  // Not timed: it warms both gateways and takes the backend's bare tool names if they are still free,
  // so that every trial's tool has a predictable qualified name.
  await registerAndWait(options, "prop-warmup", (names) => names.some((n) => n.endsWith("getProductById")));
  const lags: number[] = [];
  const registrations: number[] = [];
  for (let trial = 0; trial < options.trials; trial++) {
    const name = `prop-${trial}`;
    const { registerMs, lagMs } = await registerAndWait(options, name, (names) =>
      names.includes(`${name}__getProductById`),
    );
    registrations.push(registerMs);
    lags.push(lagMs);
  }
  return {
    trials: options.trials,
    p50Ms: percentile(lags, 50),
    p99Ms: percentile(lags, 99),
    maxMs: Math.max(...lags),
    registerP50Ms: percentile(registrations, 50),
  };
}

async function registerAndWait(
  { gatewayA, gatewayB, backendUrl }: PropagationBenchOptions,
  name: string,
  visible: (names: string[]) => boolean,
): Promise<{ registerMs: number; lagMs: number }> {
  const started = performance.now();
  await registerService(gatewayA, name, backendUrl);
  const registered = performance.now();
  for (let poll = 0; ; poll++) {
    const body = await (await postToolsList(gatewayB, poll)).text();
    if (visible(toolNamesOf(body))) return { registerMs: registered - started, lagMs: performance.now() - registered };
    if (performance.now() - registered > GIVE_UP_MS)
      throw new Error(`gateway B did not list ${name} within ${GIVE_UP_MS} ms`);
    await Bun.sleep(POLL_GAP_MS);
  }
}
