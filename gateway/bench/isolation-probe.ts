/**
 * Figures for what one misbehaving backend costs the gateway, measured on a real gateway process
 * (`src/main.ts`, embedded PGlite) next to a fixture backend served here:
 *
 *   hung     300 calls to a tool that never answers (more than Bun's 256 fetch sockets), then a call to
 *            a quick tool of the same process's other service and a look at both services' health.
 *   results  twelve concurrent calls whose answers are 50 MB each; the gateway's resident memory before
 *            them and its peak while they run.
 *
 * `bun run bench:isolation <mode>` gives the probe more fetch sockets than its own calls need; gateway
 * variables may follow the mode: `bun run bench:isolation results TOOL_RESULT_MAX_BYTES=1000000000`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const mode = process.argv[2];
if (mode !== "hung" && mode !== "results") throw new Error("usage: isolation-probe.ts hung|results [NAME=value ...]");
const overrides = Object.fromEntries(process.argv.slice(3).map((pair) => pair.split("=", 2) as [string, string]));

const HUNG_CALLS = 300;
const BIG_CALLS = 12;
const BIG_BYTES = 50 * 1000 * 1000;
const API_KEY = "mcp-api-key-123";
const TOKEN = "mcp-token-123";

const bigBody = (id: unknown) =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"${"x".repeat(BIG_BYTES)}"}]}}`;

function startBackend(tools: string[]) {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(request) {
      if (request.method !== "POST") return new Response(null, { status: 405 });
      const message = (await request.json()) as { id?: unknown; method: string; params?: Record<string, unknown> };
      const answer = (result: object) => Response.json({ jsonrpc: "2.0", id: message.id, result });
      if (message.id === undefined) return new Response(null, { status: 202 });
      if (message.method === "initialize")
        return answer({
          protocolVersion: message.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "probe-fixture", version: "1.0.0" },
        });
      if (message.method === "ping") return answer({});
      if (message.method === "tools/list")
        return answer({ tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })) });
      const tool = message.params?.name;
      if (tool === "echo") return answer({ content: [{ type: "text", text: "echo" }] });
      if (tool === "big") return new Response(bigBody(message.id), { headers: { "Content-Type": "application/json" } });
      return new Promise<Response>(() => {});
    },
  });
}

const hung = startBackend(["hang"]);
const healthy = startBackend(["echo", "big"]);
const dataDir = mkdtempSync(join(tmpdir(), "isolation-probe-"));
const port = 20_000 + Math.floor(Math.random() * 20_000);
const gatewayUrl = `http://127.0.0.1:${port}`;
// The probe's own socket limit is for its own calls; the gateway gets Bun's default unless told otherwise.
const { BUN_CONFIG_MAX_HTTP_REQUESTS: _, ...inherited } = process.env;
const gateway = Bun.spawn(["bun", "run", join(import.meta.dir, "../src/main.ts")], {
  env: {
    ...inherited,
    PORT: String(port),
    PGLITE_DIR: dataDir,
    LOG_LEVEL: "error",
    HEALTH_CHECK_INTERVAL_MS: "1000",
    HEALTH_CHECK_TIMEOUT_MS: "1000",
    ...overrides,
  },
  stdout: "ignore",
  stderr: "inherit",
});

const rssMb = () => {
  const status = readFileSync(`/proc/${gateway.pid}/status`, "utf8");
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]) / 1024;
};

const mcp = (id: number, name: string, signal?: AbortSignal) =>
  fetch(`${gatewayUrl}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } }),
    signal,
  }).then((r) => r.text());

try {
  for (let i = 0; ; i++) {
    if (
      await fetch(`${gatewayUrl}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 300) throw new Error("the gateway did not start");
    await Bun.sleep(100);
  }
  for (const [name, server] of [
    ["hung-service", hung],
    ["healthy-service", healthy],
  ] as const) {
    const response = await fetch(`${gatewayUrl}/register`, {
      method: "POST",
      headers: { "X-API-Key": API_KEY, "Content-Type": "application/json" },
      body: JSON.stringify({ name, url: `http://127.0.0.1:${server.port}` }),
    });
    if (!response.ok) throw new Error(`registering ${name}: ${response.status} ${await response.text()}`);
  }
  await Bun.sleep(1500);

  if (mode === "hung") {
    const stop = new AbortController();
    const flood = Array.from({ length: HUNG_CALLS }, (_, i) =>
      mcp(i, "hang", stop.signal).then(
        (text) => (text.includes("is busy") ? "refused" : "answered"),
        () => "aborted",
      ),
    );
    await Bun.sleep(1000);
    const started = performance.now();
    const echo = await mcp(-1, "echo");
    const echoMs = performance.now() - started;
    // Two health-check rounds while the hung calls are still waiting.
    await Bun.sleep(2500);
    const health = (await (await fetch(`${gatewayUrl}/health`)).json()) as {
      backends: { name: string; status: string; circuit: string; lastError?: string }[];
    };
    stop.abort();
    const outcomes = await Promise.all(flood);
    console.log(
      JSON.stringify({
        mode,
        overrides,
        refusedAtOnce: outcomes.filter((o) => o === "refused").length,
        healthyCallMs: Math.round(echoMs),
        healthyCallAnswered: echo.includes('"text":"echo"'),
        backends: health.backends.map(({ name, status, circuit, lastError }) => ({ name, status, circuit, lastError })),
      }),
    );
  } else {
    const before = rssMb();
    let peak = before;
    // Sampled rather than read from VmHWM: the embedded database's start-up peak would hide the calls'.
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb());
    }, 10);
    const answers = await Promise.all(Array.from({ length: BIG_CALLS }, (_, i) => mcp(i, "big")));
    clearInterval(sampler);
    console.log(
      JSON.stringify({
        mode,
        overrides,
        rssBeforeMb: Math.round(before),
        peakRssDuringMb: Math.round(peak),
        answers: answers.map((text) => (text.length > 1000 ? `${text.length} chars` : text.slice(0, 160)))[0],
      }),
    );
  }
} finally {
  gateway.kill();
  await gateway.exited;
  hung.stop(true);
  healthy.stop(true);
  rmSync(dataDir, { recursive: true, force: true });
}
