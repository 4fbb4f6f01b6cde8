/**
 * Section 6: tool search over a large generated catalog (see search-catalog.ts), through a gateway's
 * virtual server in search mode. Each labelled query is sent as a `search_tools` call over HTTP, one at
 * a time; a query counts as recalled when its tool is among the first five results. The first search
 * builds the index and is timed on its own; the latencies are of the searches after it.
 */
import type { Database } from "../src/registry/database.ts";
import { services, serviceTools } from "../src/registry/schema.ts";
import { BENCH_CONFIG } from "./bench-gateway.ts";
import type { SearchCatalog } from "./search-catalog.ts";
import { percentile } from "./stats.ts";

export interface ToolSearchFigures {
  tools: number;
  queries: number;
  /** Share of the queries whose tool is among the first five results. */
  recallAt5: number;
  /** The first search of a catalog version: builds the index, then searches. */
  firstSearchMs: number;
  p50Ms: number;
  p99Ms: number;
}

const SEARCH_SERVER = "tool-search";

/** Stores the catalog's services as if each had registered, and a search-mode server over all of them. */
export async function seedSearchCatalog(db: Database, catalog: SearchCatalog): Promise<void> {
  await db.transaction(async (tx) => {
    for (const service of catalog.services) {
      const [row] = await tx
        .insert(services)
        .values({ name: service.name, url: "http://127.0.0.1:9" })
        .returning({ id: services.id });
      if (!row) throw new Error(`inserting ${service.name} returned no row`);
      await tx.insert(serviceTools).values({ serviceId: row.id, tools: service.tools });
    }
  });
}

export async function benchToolSearch(options: {
  gatewayUrl: string;
  catalog: SearchCatalog;
  rounds: number;
}): Promise<ToolSearchFigures> {
  const { gatewayUrl, catalog, rounds } = options;
  const created = await fetch(`${gatewayUrl}/virtual-servers`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-API-Key": BENCH_CONFIG.apiKey },
    body: JSON.stringify({ name: SEARCH_SERVER, tools: ["*"], mode: "search" }),
  });
  if (created.status !== 201) throw new Error(`creating the search server answered ${created.status}`);
  const mcpUrl = `${gatewayUrl}/servers/${SEARCH_SERVER}/mcp`;

  const [first] = catalog.queries;
  if (!first) throw new Error("no labelled queries");
  const started = performance.now();
  await searchTools(mcpUrl, first.query, 0);
  const firstSearchMs = performance.now() - started;

  const latencies: number[] = [];
  let recalled = 0;
  for (let round = 0; round < rounds; round++)
    for (const [i, { query, expected }] of catalog.queries.entries()) {
      const t0 = performance.now();
      const names = await searchTools(mcpUrl, query, i + 1);
      latencies.push(performance.now() - t0);
      if (round === 0 && names.includes(expected)) recalled++;
    }
  return {
    tools: catalog.services.reduce((sum, s) => sum + s.tools.length, 0),
    queries: catalog.queries.length,
    recallAt5: recalled / catalog.queries.length,
    firstSearchMs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** One `search_tools` call as a client that already initialised sends it; the names found, best first. */
async function searchTools(mcpUrl: string, query: string, id: number): Promise<string[]> {
  const response = await fetch(mcpUrl, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${BENCH_CONFIG.bearerToken}`,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "search_tools", arguments: { query, limit: 5 } },
    }),
  });
  const body = await response.text();
  const json = body.startsWith("{") ? body : (/^data: (.*)$/m.exec(body)?.[1] ?? "");
  const message = JSON.parse(json) as { result?: { structuredContent?: { tools?: { name: string }[] } } };
  const tools = message.result?.structuredContent?.tools;
  if (!tools) throw new Error(`not a search_tools result: ${body.slice(0, 200)}`);
  return tools.map((t) => t.name);
}
