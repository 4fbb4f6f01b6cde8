/**
 * Section 1: what the gateway hop costs a tool call. SDK clients call getProductById on the shopping
 * backend directly and through the gateway, in interleaved rounds at each concurrency level; through
 * the gateway both with the static token and with an OAuth access token, whose check must cost
 * next to nothing once the token is known.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connectClient } from "../test/support/gateway-harness.ts";
import { BENCH_CONFIG } from "./bench-gateway.ts";
import { interleavedRounds, type LatencySummary, measureRound, medianOfRounds, medianRatio } from "./stats.ts";

export interface ToolCallFigures {
  concurrency: number;
  direct: LatencySummary;
  gateway: LatencySummary;
  /** Gateway ops/s over direct ops/s: the median over rounds of each adjacent pair's ratio. */
  ratio: number;
  /** Through the gateway with an OAuth access token instead of the static token. */
  oauth: LatencySummary;
  /** OAuth ops/s over static-token ops/s, by the same rule. */
  oauthRatio: number;
}

export interface ToolCallBenchOptions {
  /** MCP endpoints of the backend and of a gateway that has it registered. */
  directUrl: string;
  gatewayUrl: string;
  /** An access token the gateway accepts, from its OAuth issuer. */
  oauthToken: string;
  concurrency: number[];
  rounds: number;
  /** Calls per round, shared evenly among the clients, so every level takes about as long. */
  calls: number;
}

const CALL = { name: "getProductById", arguments: { id: "123" } };
const WARMUP_CALLS = 50;

export async function benchToolCalls(options: ToolCallBenchOptions): Promise<ToolCallFigures[]> {
  const clientCount = Math.max(...options.concurrency);
  const [direct, gateway, oauth] = await Promise.all([
    connectClients(options.directUrl, clientCount),
    connectClients(options.gatewayUrl, clientCount),
    connectClients(options.gatewayUrl, clientCount, options.oauthToken),
  ]);
  try {
    await warmUp(direct);
    await warmUp(gateway);
    await warmUp(oauth);
    const figures: ToolCallFigures[] = [];
    for (const concurrency of options.concurrency) {
      const perClient = Math.max(1, Math.round(options.calls / concurrency));
      const round = (clients: Client[]) => () =>
        measureRound(concurrency, perClient, (worker) => callOnce(clients[worker] as Client));
      const [directRounds = [], gatewayRounds = [], oauthRounds = []] = await interleavedRounds(options.rounds, [
        round(direct),
        round(gateway),
        round(oauth),
      ]);
      figures.push({
        concurrency,
        direct: medianOfRounds(directRounds),
        gateway: medianOfRounds(gatewayRounds),
        ratio: medianRatio(gatewayRounds, directRounds),
        oauth: medianOfRounds(oauthRounds),
        oauthRatio: medianRatio(oauthRounds, gatewayRounds),
      });
    }
    return figures;
  } finally {
    await Promise.all([...direct, ...gateway, ...oauth].map((c) => c.close().catch(() => {})));
  }
}

function connectClients(mcpUrl: string, count: number, token = BENCH_CONFIG.bearerToken): Promise<Client[]> {
  return Promise.all(Array.from({ length: count }, () => connectClient(mcpUrl, token)));
}

/** Lets the JIT and the connection pools settle before anything is timed. */
async function warmUp(clients: Client[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      for (let i = 0; i < Math.ceil(WARMUP_CALLS / clients.length) + 1; i++) await callOnce(client);
    }),
  );
}

async function callOnce(client: Client): Promise<void> {
  const result = await client.callTool(CALL);
  // A fast failure must not pass for a fast call.
  if (result.isError) throw new Error(`getProductById failed: ${JSON.stringify(result.content)}`);
}
