/**
 * The smallest stdio MCP server: one JSON-RPC message a line, an `echo` tool and nothing else, with no
 * SDK to load, so that a test can start and kill it a hundred times quickly. Tests that need a real
 * server use @modelcontextprotocol/server-memory.
 */
import { createInterface } from "node:readline";

const send = (message: object) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
const TOOL = { name: "echo", description: "Echoes its text.", inputSchema: { type: "object" } };

// ECHO_HELPER starts a helper process, as npx or a server driving a browser does: it ignores stdin, so
// only a kill of the whole process group ends it. Its command line carries the variable's value, by
// which a test finds it.
if (process.env.ECHO_HELPER)
  Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 60_000)", process.env.ECHO_HELPER], {
    stdio: ["ignore", "ignore", "ignore"],
  });

process.stderr.write("echo server ready\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, method, params } = JSON.parse(line) as { id?: number; method: string; params?: Record<string, unknown> };
  if (id === undefined) return;
  if (method === "initialize")
    send({
      id,
      result: {
        protocolVersion: params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "echo", version: "1" },
      },
    });
  else if (method === "tools/list") send({ id, result: { tools: [TOOL] } });
  else if (method === "tools/call") {
    const text = String((params?.arguments as { text?: unknown } | undefined)?.text ?? "");
    send({ id, result: { content: [{ type: "text", text }] } });
  } else if (method === "ping") send({ id, result: {} });
  else send({ id, error: { code: -32601, message: `no ${method}` } });
});
