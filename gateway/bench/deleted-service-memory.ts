/**
 * How much memory a large service costs and how much of it its deletion gives back: registers a
 * backend listing `tools` tools (limits raised to let it in), lists them once, deletes the service and
 * reports RSS and heap after a full collection at each step. Figures, not assertions.
 *
 * Usage: bun gateway/bench/deleted-service-memory.ts [tools=20000]   (DATABASE_URL picks Postgres)
 */
import { createMcpEndpoint, createServiceApp, serve } from "@mcp-federation/mcp-http";
import { Server } from "@modelcontextprotocol/server";
import { createTestVersionStore, startGateway, TEST_BEARER } from "../test/support/gateway-harness.ts";
import { createTestDatabase } from "../test/support/test-database.ts";

const count = Number(Bun.argv[2] ?? 20_000);
const tools = Array.from({ length: count }, (_, i) => ({
  name: `tool_${i}`,
  description: `Tool number ${i} of a very large service. `.repeat(4),
  inputSchema: {
    type: "object" as const,
    properties: { id: { type: "string", description: "An id" } },
    required: ["id"],
  },
}));
const mcp = createMcpEndpoint(() => {
  const server = new Server({ name: "large", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler("tools/list", () => ({ tools }));
  return server;
});
const app = createServiceApp({ serviceName: "large", bearerToken: TEST_BEARER, mcp });
const backend = serve(app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
function measure(step: string) {
  Bun.gc(true);
  const { rss, heapUsed } = process.memoryUsage();
  console.log(JSON.stringify({ step, rssMb: mb(rss), heapUsedMb: mb(heapUsed) }));
}

const database = await createTestDatabase();
const gw = await startGateway({
  database,
  versionStore: await createTestVersionStore(),
  settings: {
    serviceListLimits: { maxItems: count, maxBytes: 1024 * 1024 * 1024 },
    maxBodyBytes: 1024 * 1024 * 1024,
    mcpPageSize: count,
  },
});
measure("started");
const registered = await gw.admin("POST", "/register", { name: "large", url: `http://127.0.0.1:${backend.port}` });
if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
const client = await gw.client();
await client.listTools();
measure("registered and listed");
await gw.admin("DELETE", "/delete/large");
measure("deleted");
await client.listTools();
measure("deleted, then listed again");
await gw.stop();
await backend.stop();
await database.close();
process.exit(0);
