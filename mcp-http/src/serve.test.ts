import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Server } from "bun";
import { createLineReader } from "../test/line-reader.ts";
import { createSlowServer, FIXTURE_TOKEN } from "../test/slow-server.ts";
import { createMcpEndpoint } from "./mcp-endpoint.ts";
import { serve } from "./serve.ts";
import { createServiceApp } from "./service-app.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/**
 * Bun rounds idle timeouts up to whole 4-second ticks, so an idle limit of 1 s drops a quiet connection
 * after about 4 s. A call must stay quiet for longer than that, or these tests would pass without the
 * exemption they are about.
 */
const QUIET_MS = 6000;
/** Per test, since bun test's default of 5 s is shorter than one quiet call. */
const SLOW_TEST = { timeout: 20_000 };
const EVENT_STREAM = "application/json, text/event-stream";

function sleepCall(id: number, ms: number) {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name: "sleep", arguments: { ms } } };
}

function postRpc(url: string, body: object, accept?: string): Promise<Response> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Authorization: `Bearer ${FIXTURE_TOKEN}`,
  };
  if (accept) headers.Accept = accept;
  return fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
}

function startSlowService(longRequestPaths?: string[]): Server<undefined> {
  const app = createServiceApp({
    serviceName: "slow-fixture",
    bearerToken: FIXTURE_TOKEN,
    mcp: createMcpEndpoint(() => createSlowServer()),
  });
  return serve(app.fetch, {
    port: 0,
    hostname: "127.0.0.1",
    idleTimeoutSeconds: 1,
    longRequestPaths,
    handleSignals: false,
  });
}

describe.concurrent("a tool call quieter than the idle timeout", () => {
  let exempt: Server<undefined>;
  let reaped: Server<undefined>;

  beforeAll(() => {
    exempt = startSlowService();
    reaped = startSlowService([]);
  });

  afterAll(async () => {
    await Promise.all([exempt.stop(true), reaped.stop(true)]);
  });

  test(
    "completes for a plain JSON client",
    async () => {
      const response = await postRpc(`${exempt.url}mcp`, sleepCall(1, QUIET_MS));
      expect(response.status).toBe(200);
      const body = (await response.json()) as { result: { content: { text: string }[] } };
      expect(body.result.content[0]?.text).toBe(`slept ${QUIET_MS} ms`);
    },
    SLOW_TEST,
  );

  test(
    "completes for an SSE client",
    async () => {
      const client = new Client({ name: "serve-test", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL("/mcp", exempt.url), {
          requestInit: { headers: { Authorization: `Bearer ${FIXTURE_TOKEN}` } },
        }),
      );
      try {
        const result = await client.callTool({ name: "sleep", arguments: { ms: QUIET_MS } });
        expect(result.content).toEqual([{ type: "text", text: `slept ${QUIET_MS} ms` }]);
      } finally {
        await client.close();
      }
    },
    SLOW_TEST,
  );

  // The streamed answer is the case the exemption exists for: Bun cuts a response stream that stays
  // quiet, while a POST still waiting for its (JSON) response is left alone.
  test(
    "is cut off when streamed on a path without the exemption",
    async () => {
      const exchange = postRpc(`${reaped.url}mcp`, sleepCall(1, QUIET_MS), EVENT_STREAM).then((response) =>
        response.text(),
      );
      await expect(exchange).rejects.toThrow();
    },
    SLOW_TEST,
  );

  test(
    "cuts a request that outlives the drain deadline, then exits 0",
    async () => {
      const fixture = new URL("../test/slow-server.ts", import.meta.url).pathname;
      const child = Bun.spawn([process.execPath, fixture], {
        stdout: "pipe",
        stderr: "inherit",
        env: { ...process.env, DRAIN_TIMEOUT_MS: "300" },
      });
      try {
        const waitFor = createLineReader(child.stdout);
        const [, port] = await waitFor(/^listening on port (\d+)$/);
        const inFlight = postRpc(`http://127.0.0.1:${port}/mcp`, sleepCall(8, 60_000));
        await waitFor(/^call started$/);
        child.kill("SIGTERM");
        await waitFor(/outlived the drain deadline/);
        await expect(inFlight).rejects.toThrow();
        expect(await child.exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
    SLOW_TEST,
  );
});

describe("graceful shutdown on SIGTERM", () => {
  test(
    "finishes the in-flight request, refuses new connections and exits 0",
    async () => {
      const fixture = new URL("../test/slow-server.ts", import.meta.url).pathname;
      const child = Bun.spawn([process.execPath, fixture], { stdout: "pipe", stderr: "inherit" });
      try {
        const waitFor = createLineReader(child.stdout);
        const [, port] = await waitFor(/^listening on port (\d+)$/);
        const base = `http://127.0.0.1:${port}`;

        const inFlight = postRpc(`${base}/mcp`, sleepCall(7, 3000));
        await waitFor(/^call started$/);
        child.kill("SIGTERM");
        await waitFor(/^SIGTERM received/);

        await expect(fetch(`${base}/health`)).rejects.toThrow();
        const response = await inFlight;
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          id: 7,
          result: { content: [{ type: "text", text: "slept 3000 ms" }] },
        });
        expect(await child.exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
    SLOW_TEST,
  );
});

describe("readiness", () => {
  test("/live answers at once, /ready only once the app says it is ready", async () => {
    let ready = false;
    const server = serve(() => new Response("app"), {
      port: 0,
      hostname: "127.0.0.1",
      handleSignals: false,
      ready: () => ready,
    });
    try {
      expect((await fetch(`${server.url}live`)).status).toBe(200);
      const starting = await fetch(`${server.url}ready`);
      expect(starting.status).toBe(503);
      expect(await starting.json()).toEqual({ status: "starting" });
      ready = true;
      const answer = await fetch(`${server.url}ready`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ status: "ready" });
    } finally {
      await server.stop(true);
    }
  });

  test(
    "turns 503 on SIGTERM, serves new requests through the grace, then drains the in-flight call",
    async () => {
      const fixture = new URL("../test/slow-server.ts", import.meta.url).pathname;
      // The grace is long so that the requests below land inside it even on a busy machine.
      const child = Bun.spawn([process.execPath, fixture], {
        stdout: "pipe",
        stderr: "inherit",
        env: { ...process.env, DRAIN_GRACE_MS: "4000" },
      });
      try {
        const waitFor = createLineReader(child.stdout);
        const [, port] = await waitFor(/^listening on port (\d+)$/);
        const base = `http://127.0.0.1:${port}`;
        expect((await fetch(`${base}/ready`)).status).toBe(200);

        const inFlight = postRpc(`${base}/mcp`, sleepCall(9, 7000));
        await waitFor(/^call started$/);
        child.kill("SIGTERM");
        await waitFor(/^SIGTERM received, not ready/);

        const draining = await fetch(`${base}/ready`);
        expect(draining.status).toBe(503);
        expect(await draining.json()).toEqual({ status: "draining" });
        expect((await fetch(`${base}/live`)).status).toBe(200);
        const during = await postRpc(`${base}/mcp`, sleepCall(10, 0));
        expect(await during.json()).toMatchObject({ id: 10, result: { content: [{ text: "slept 0 ms" }] } });

        await waitFor(/finishing in-flight requests/);
        await expect(fetch(`${base}/ready`)).rejects.toThrow();
        expect(await (await inFlight).json()).toMatchObject({
          id: 9,
          result: { content: [{ text: "slept 7000 ms" }] },
        });
        expect(await child.exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
    SLOW_TEST,
  );
});
