import { test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createServiceApp, serve } from "@mcp-federation/mcp-http";
import { connectBackend } from "./mcp-connection.ts";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";

test("exp", async () => {
  const app = createServiceApp({ serviceName: "x", bearerToken: "t", createServer: () => {
    const s = new McpServer({ name: "x", version: "1" });
    s.registerTool("slow", {}, async (extra) => { await extra.sendNotification({ method: "notifications/progress", params: { progressToken: extra._meta?.progressToken ?? 0, progress: 1 } }); await Bun.sleep(3000); return { content: [{ type: "text", text: "done" }] }; });
    return s;
  } });
  const server = serve(app.fetch, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  const client = await connectBackend({ name: "x", url: `http://127.0.0.1:${server.port}`, headers: { Authorization: "Bearer t" } }, 2000, 10000);
  client.onerror = (e) => console.log("onerror", String(e));
  const t0 = performance.now();
  const call = client.request({ method: "tools/call", params: { name: "slow", arguments: {} } }, CallToolResultSchema, { timeout: 10000, onprogress: (p) => console.log("progress", p) });
  await Bun.sleep(300);
  await server.stop(true);
  try { console.log(await call); } catch (e) { console.log("rejected", String(e), performance.now() - t0); }
}, 20000);
