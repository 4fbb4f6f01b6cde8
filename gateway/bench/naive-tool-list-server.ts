/**
 * The design's naive strategy, kept here only as the benchmark's baseline: answer every tools/list by
 * reading the registry from the database and building the list anew. It skips the SDK's transport and
 * everything else the gateway does per request, so the comparison flatters the baseline if anything.
 */
import type { Server } from "bun";
import { buildSnapshot } from "../src/catalog/catalog-snapshot.ts";
import type { Database } from "../src/registry/database.ts";
import { listActiveServices } from "../src/registry/queries.ts";

export function startNaiveToolListServer(db: Database): Server<undefined> {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const message = (await request.json()) as { id?: unknown; method?: unknown };
      if (message.method !== "tools/list")
        return Response.json({
          jsonrpc: "2.0",
          id: message.id ?? null,
          error: { code: -32601, message: "Method not found" },
        });
      const { tools } = buildSnapshot(await listActiveServices(db), 0);
      return Response.json({ jsonrpc: "2.0", id: message.id, result: { tools } });
    },
  });
}
