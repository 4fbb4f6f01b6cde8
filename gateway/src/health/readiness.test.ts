import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createLineReader } from "@mcp-federation/mcp-http/testing/line-reader";
import { FIXTURE_TOKEN } from "@mcp-federation/mcp-http/testing/slow-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { freePort } from "../../test/support/backend-process.ts";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const REPO_ROOT = resolve(import.meta.dir, "../../..");
const SLOW_FIXTURE = Bun.resolveSync("@mcp-federation/mcp-http/testing/slow-server", import.meta.dir);
const IN_FLIGHT_MS = 4000;
/**
 * Above the suite's default: a whole gateway starts (PGlite alone takes seconds on a loaded machine),
 * then waits out a drain. A ceiling for hangs, not a speed check.
 */
const WHOLE_PROCESS = { timeout: 90_000 };

/** Polls `url` until it answers `status`; a refused connection counts as no answer yet. */
async function untilStatus(url: string, status: number): Promise<void> {
  for (;;) {
    const answered = await fetch(url).then(
      (response) => response.status,
      () => undefined,
    );
    if (answered === status) return;
    await Bun.sleep(20);
  }
}

describe("the gateway process's readiness", () => {
  test(
    "is false until the configured backend is in the catalog, and false from SIGTERM while a call finishes",
    async () => {
      const backendPort = freePort();
      const port = freePort();
      const base = `http://127.0.0.1:${port}`;
      // The registry is a fresh in-memory PGlite: nothing but this test's GATEWAY_SERVICES can fill it.
      const gateway = Bun.spawn([process.execPath, "run", "gateway/src/main.ts"], {
        cwd: REPO_ROOT,
        stdout: "ignore",
        stderr: "inherit",
        env: {
          ...process.env,
          NODE_ENV: "test",
          LOG_LEVEL: "error",
          PORT: String(port),
          MCP_BEARER_TOKEN: TEST_BEARER,
          BACKEND_BEARER_TOKEN: FIXTURE_TOKEN,
          DATABASE_URL: "",
          DB_HOST: "",
          PGLITE_DIR: "memory://",
          REDIS_URL: "",
          UPSTASH_REDIS_REST_URL: "",
          UPSTASH_REDIS_REST_TOKEN: "",
          GATEWAY_SERVICES: `slow=http://127.0.0.1:${backendPort}`,
          HEALTH_CHECK_INTERVAL_MS: "0",
          // Long, so that the probes below land inside it even on a busy machine.
          DRAIN_GRACE_MS: "3000",
        },
      });
      let backend: ReturnType<typeof Bun.spawn<"ignore", "pipe", "inherit">> | undefined;
      let client: Client | undefined;
      try {
        // Once /health answers, the catalog is loaded, yet without the backend that is still down.
        await untilStatus(`${base}/health`, 200);
        const starting = await fetch(`${base}/ready`);
        expect(starting.status).toBe(503);
        expect(await starting.json()).toEqual({ status: "starting" });
        expect((await fetch(`${base}/live`)).status).toBe(200);

        backend = Bun.spawn([process.execPath, SLOW_FIXTURE], {
          stdout: "pipe",
          stderr: "inherit",
          env: { ...process.env, PORT: String(backendPort) },
        });
        const waitForBackend = createLineReader(backend.stdout);
        await untilStatus(`${base}/ready`, 200);

        client = new Client({ name: "readiness-test", version: "1.0.0" });
        await client.connect(
          new StreamableHTTPClientTransport(new URL("/mcp", base), {
            requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
          }),
        );
        const inFlight = client.callTool({ name: "sleep", arguments: { ms: IN_FLIGHT_MS } });
        await waitForBackend(/^call started$/);
        gateway.kill("SIGTERM");

        await untilStatus(`${base}/ready`, 503);
        expect((await fetch(`${base}/live`)).status).toBe(200);
        expect((await inFlight).content).toEqual([{ type: "text", text: `slept ${IN_FLIGHT_MS} ms` }]);
        expect(await gateway.exited).toBe(0);
      } finally {
        await client?.close().catch(() => {});
        if (gateway.exitCode === null) gateway.kill("SIGKILL");
        backend?.kill("SIGKILL");
      }
    },
    WHOLE_PROCESS,
  );
});
