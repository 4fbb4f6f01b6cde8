/**
 * The smallest stdio MCP server: one JSON-RPC message a line, with no SDK to load, so that a test can
 * start and kill it a hundred times quickly. Its tools: `echo`; `progress`, which reports progress
 * for a while before it answers; `hang`, which never answers (and logs the cancellation it gets);
 * `die`, which exits mid-call; `big`, which answers `size` characters; `ask`, which sends the gateway a
 * ping and a sampling request and answers with what came back. Tests that need a real server use
 * @modelcontextprotocol/server-memory.
 */
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";

type Message = { id?: number | string; method?: string; params?: Record<string, unknown> } & Record<string, unknown>;

const send = (message: object) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
const TOOLS = ["echo", "progress", "hang", "die", "big", "ask"].map((name) => ({
  name,
  description: `The ${name} tool of the test server.`,
  inputSchema: { type: "object" },
}));
/** Answers to the requests this server sent the gateway, by their id. */
const answered = new Map<string, (message: Message) => void>();

const ask = (id: string, method: string, params: object) =>
  new Promise<Message>((resolve) => {
    answered.set(id, resolve);
    send({ id, method, params });
  });

async function call(id: number | string, params: Record<string, unknown> | undefined) {
  const args = (params?.arguments ?? {}) as { text?: unknown; size?: unknown };
  const text = (value: string) => send({ id, result: { content: [{ type: "text", text: value }] } });
  switch (params?.name) {
    case "progress": {
      const token = (params._meta as { progressToken?: unknown } | undefined)?.progressToken;
      for (let step = 1; step <= 6; step++) {
        await Bun.sleep(150);
        if (token !== undefined)
          send({ method: "notifications/progress", params: { progressToken: token, progress: step } });
      }
      return text("finished");
    }
    case "hang":
      return;
    case "die":
      process.exit(3);
      return;
    case "big":
      return text("x".repeat(Number(args.size)));
    case "ask": {
      const pong = await ask("ping-1", "ping", {});
      const sampled = await ask("sample-1", "sampling/createMessage", { messages: [], maxTokens: 1 });
      return text(JSON.stringify({ ping: pong.result, sampling: sampled.error }));
    }
    default:
      return text(String(args.text ?? ""));
  }
}

// ECHO_HELPER starts a helper process, as npx or a server driving a browser does: it ignores stdin, so
// only a kill of the whole process group ends it. Its command line carries the variable's value, by
// which a test finds it.
if (process.env.ECHO_HELPER)
  Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 60_000)", process.env.ECHO_HELPER], {
    stdio: ["ignore", "ignore", "ignore"],
  });

// ECHO_IGNORE_TERM makes the server one that ignores SIGTERM, so that only the SIGKILL after it ends it.
if (process.env.ECHO_IGNORE_TERM) process.on("SIGTERM", () => {});
// While the file ECHO_REFUSE_INIT names exists, the server refuses to be initialised.
const refusesInit = () => process.env.ECHO_REFUSE_INIT !== undefined && existsSync(process.env.ECHO_REFUSE_INIT);

process.stderr.write("echo server ready\n");
// A line that is no message, as servers that log to stdout by mistake write: the gateway skips it.
process.stdout.write("echo server starting\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line) as Message;
  const { id, method, params } = message;
  if (method === undefined) {
    answered.get(String(id))?.(message);
    return;
  }
  if (method === "notifications/cancelled") process.stderr.write(`cancelled ${JSON.stringify(params)}\n`);
  if (id === undefined) return;
  if (method === "initialize" && refusesInit()) send({ id, error: { code: -32603, message: "not configured yet" } });
  else if (method === "initialize")
    send({
      id,
      result: {
        protocolVersion: params?.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "echo", version: "1" },
      },
    });
  else if (method === "tools/list") send({ id, result: { tools: TOOLS } });
  else if (method === "tools/call") void call(id, params);
  else if (method === "ping") send({ id, result: {} });
  else send({ id, error: { code: -32601, message: `no ${method}` } });
});
