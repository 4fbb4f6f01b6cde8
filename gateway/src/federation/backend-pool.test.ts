import { afterEach, describe, expect, test } from "bun:test";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { silentLogger } from "../logger.ts";
import {
  type BackendPool,
  BackendUnavailableError,
  CallLimitError,
  type CallLimits,
  createBackendPool,
} from "./backend-pool.ts";

const CALL_TIMEOUT_MS = 300;
const OPEN_MS = 100;
const PROGRESS_STEPS = 12;
const PROGRESS_EVERY_MS = 50;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A service with a tool that never answers and one that reports progress for longer than the call timeout. */
function backend(): FixtureBackend {
  const fixture = startFixtureBackend(() => {
    const server = new McpServer({ name: "fixture", version: "1.0.0" });
    server.registerTool("hang", { description: "Never answers." }, () => new Promise<never>(() => {}));
    server.registerTool("slowWithProgress", { description: "Reports progress, then answers." }, async (extra) => {
      for (let step = 1; step <= PROGRESS_STEPS; step++) {
        await Bun.sleep(PROGRESS_EVERY_MS);
        const progressToken = extra._meta?.progressToken;
        if (progressToken !== undefined)
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress: step } });
      }
      return { content: [{ type: "text", text: "done" }] };
    });
    return server;
  });
  cleanups.push(() => fixture.stop());
  return fixture;
}

function poolWith(services: Record<string, string>, limits?: Partial<CallLimits>): BackendPool {
  const pool = createBackendPool({
    connectTimeoutMs: 1000,
    callTimeoutMs: CALL_TIMEOUT_MS,
    circuit: { failureThreshold: 2, openMs: OPEN_MS },
    limits,
    log: silentLogger,
  });
  pool.sync(
    Object.entries(services).map(([name, url]) => ({ name, url, headers: { Authorization: `Bearer ${TEST_BEARER}` } })),
  );
  cleanups.push(() => pool.close());
  return pool;
}

const call = (pool: BackendPool, tool: string, options?: Parameters<BackendPool["request"]>[3]) =>
  pool.request("svc", "tools/call", { name: tool, arguments: {} }, options);

describe("calls and the circuit", () => {
  test("failed calls open the circuit; then calls fail at once without a network attempt, until a trial call succeeds", async () => {
    const fixture = backend();
    const pool = poolWith({ svc: fixture.url });
    await fixture.stop();

    for (let i = 0; i < 2; i++) {
      await expect(pool.request("svc", "ping", {})).rejects.toThrow('Service "svc" is unavailable: connection refused');
    }
    expect(pool.state("svc")).toMatchObject({ status: "down", circuit: "open", consecutiveFailures: 2 });

    fixture.start();
    // The backend is back, but the circuit is still open: the call is refused without reaching it.
    await expect(pool.request("svc", "ping", {})).rejects.toThrow(
      /failed 2 times in a row \(last error: connection refused\), so calls are not sent to it/,
    );
    expect(fixture.paths).toEqual([]);
    expect(pool.state("svc")?.consecutiveFailures).toBe(2);

    await Bun.sleep(OPEN_MS);
    expect(await pool.request("svc", "ping", {})).toEqual({});
    expect(pool.state("svc")).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
  });

  test("an error the backend answers with is not a failure of the backend", async () => {
    const pool = poolWith({ svc: backend().url });
    for (let i = 0; i < 3; i++)
      await expect(pool.request("svc", "no/such/method", {})).rejects.toThrow(/Method not found/);
    expect(pool.state("svc")).toMatchObject({ status: "up", circuit: "closed", consecutiveFailures: 0 });
  });

  test("a call its caller gave up on says nothing about the backend", async () => {
    const pool = poolWith({ svc: backend().url });
    const caller = new AbortController();
    const abandoned = call(pool, "hang", { signal: caller.signal });
    caller.abort(new Error("caller went away"));
    await expect(abandoned).rejects.toThrow("caller went away");
    expect(pool.state("svc")).toMatchObject({ status: "unknown", circuit: "closed", consecutiveFailures: 0 });
  });
});

describe("call timeouts", () => {
  test("a call that gets no answer fails at the timeout without cutting short another call on the same backend", async () => {
    const pool = poolWith({ svc: backend().url });
    const progress: number[] = [];
    let longSettled = false;
    const long = call(pool, "slowWithProgress", { onprogress: (p) => progress.push(p.progress) }).finally(() => {
      longSettled = true;
    });
    const hung = call(pool, "hang");

    const failure = await hung.catch((error: unknown) => error);
    expect(longSettled).toBe(false);
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect((failure as Error).message).toBe(
      `Service "svc" is unavailable: timed out: no answer within ${CALL_TIMEOUT_MS} ms`,
    );

    // The long call outlives the hung one's timeout: its client was retired, not closed under it.
    const result = await long;
    expect(result.content).toEqual([{ type: "text", text: "done" }]);
    expect(progress).toHaveLength(PROGRESS_STEPS);
  });
});

describe("call slots", () => {
  test("a call waiting for a slot gives up when its call timeout, counted from its arrival, runs out, without blaming the backend", async () => {
    const pool = poolWith({ svc: backend().url }, { maxConcurrentCalls: 1, maxWaitingCalls: 1 });
    // The session's handshake, done first, would otherwise count against the first call's time.
    expect(await pool.request("svc", "ping", {})).toEqual({});
    // Its progress keeps it going, and its slot taken, for longer than the call timeout.
    const first = call(pool, "slowWithProgress", { onprogress: () => {} });
    const second = call(pool, "hang").catch((error: unknown) => error);
    const third = await call(pool, "hang").catch((error: unknown) => error);

    expect(third).toBeInstanceOf(CallLimitError);
    expect((third as Error).message).toBe(
      'Service "svc" is busy: all 1 of its call slots are taken and 1 more calls are waiting for one; try again shortly',
    );
    const waited = await second;
    expect(waited).toBeInstanceOf(CallLimitError);
    expect((waited as Error).message).toContain("the call's time ran out while it waited for one of its 1 call slots");
    expect((await first).content).toEqual([{ type: "text", text: "done" }]);
    expect(PROGRESS_STEPS * PROGRESS_EVERY_MS).toBeGreaterThan(CALL_TIMEOUT_MS);
    // Neither refusal counts against the backend.
    expect(pool.state("svc")).toMatchObject({ consecutiveFailures: 0, calls: { inFlight: 0, waiting: 0, refused: 2 } });
  });
});

describe("a request the gateway cannot encode", () => {
  test("is the caller's invalid params, and says nothing about the backend", async () => {
    const fixture = backend();
    const pool = poolWith({ svc: fixture.url });
    // Arguments nested too deep fail the same way, but Bun takes seconds to overflow its stack on them.
    const unencodable = { count: 1n };

    for (let i = 0; i < 3; i++) {
      const failure = await pool.request("svc", "tools/call", { name: "hang", arguments: unencodable }).catch((e) => e);
      expect(failure).toBeInstanceOf(ProtocolError);
      expect((failure as ProtocolError).code).toBe(ProtocolErrorCode.InvalidParams);
      expect((failure as Error).message).toContain("the gateway could not encode the request");
    }
    expect(pool.state("svc")).toMatchObject({ circuit: "closed", consecutiveFailures: 0 });
    expect(await pool.request("svc", "ping", {})).toEqual({});
  });
});

describe("what the backend sends during a call", () => {
  /** A service whose tools log while they work, or wait until their call is aborted. */
  function chattyBackend(
    handler: { started(): void; aborted(): void } = { started: () => {}, aborted: () => {} },
  ): FixtureBackend {
    const fixture = startFixtureBackend(() => {
      const server = new McpServer({ name: "fixture", version: "1.0.0" }, { capabilities: { logging: {} } });
      server.registerTool("chatty", { description: "Logs and reports progress, then answers." }, async (extra) => {
        await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: "half way" } });
        const progressToken = extra._meta?.progressToken;
        if (progressToken !== undefined)
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: 1, total: 2 },
          });
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: "someone-else", progress: 7 },
        });
        return { content: [{ type: "text", text: "done" }] };
      });
      server.registerTool("waitForAbort", { description: "Answers only once the call is aborted." }, (extra) => {
        handler.started();
        return new Promise((resolve) => {
          extra.signal.addEventListener("abort", () => {
            handler.aborted();
            resolve({ content: [] });
          });
        });
      });
      return server;
    });
    cleanups.push(() => fixture.stop());
    return fixture;
  }

  test("notifications other than the call's own progress reach onnotification", async () => {
    const pool = poolWith({ svc: chattyBackend().url });
    const notifications: { method: string; params?: unknown }[] = [];
    const progress: unknown[] = [];

    const result = await call(pool, "chatty", {
      onnotification: (n) => notifications.push(n),
      onprogress: (p) => progress.push(p),
    });

    expect(result.content).toEqual([{ type: "text", text: "done" }]);
    expect(progress).toEqual([{ progress: 1, total: 2 }]);
    expect(notifications).toEqual([
      { method: "notifications/message", params: { level: "info", data: "half way" } },
      { method: "notifications/progress", params: { progressToken: "someone-else", progress: 7 } },
    ]);
  });

  test("aborting the caller's signal aborts the backend's handler", async () => {
    let started = () => {};
    let aborted = () => {};
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const handlerAborted = new Promise<void>((resolve) => (aborted = resolve));
    const pool = poolWith({ svc: chattyBackend({ started, aborted }).url });

    const caller = new AbortController();
    const abandoned = call(pool, "waitForAbort", { signal: caller.signal });
    await handlerStarted;
    caller.abort(new Error("caller went away"));

    await expect(abandoned).rejects.toThrow("caller went away");
    await handlerAborted;
  });
});

describe("the URL policy at connect time", () => {
  test("a backend whose address is refused now is not contacted, and the call names the reason", async () => {
    const fixture = backend();
    let refused: string | undefined;
    const pool = createBackendPool({
      connectTimeoutMs: 1000,
      callTimeoutMs: CALL_TIMEOUT_MS,
      circuit: { failureThreshold: 5, openMs: OPEN_MS },
      refuse: async () => refused,
      log: silentLogger,
    });
    cleanups.push(() => pool.close());
    pool.sync([{ name: "svc", url: fixture.url, headers: { Authorization: `Bearer ${TEST_BEARER}` } }]);

    refused = "it resolves to 169.254.169.254, a link-local or metadata address";
    await expect(pool.request("svc", "ping", {})).rejects.toThrow("169.254.169.254");
    expect(fixture.paths).toEqual([]);

    refused = undefined;
    await expect(pool.request("svc", "ping", {})).resolves.toEqual({});
    expect(fixture.paths.length).toBeGreaterThan(0);
  });
});
