/**
 * A backend that keeps sessions (see stateful-fixture-backend.ts): the pool must send the session id it
 * was given, open a new session once when the backend forgot the old one, and tell the backend when a
 * call it gave up on should stop.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { eventually } from "../../test/support/eventually.ts";
import { startStatefulFixtureBackend } from "../../test/support/stateful-fixture-backend.ts";
import { silentLogger } from "../logger.ts";
import { type BackendPool, BackendUnavailableError, createBackendPool } from "./backend-pool.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** What the test controls of the fixture: tools see `handlerAborted` and `handlerStarted`. */
interface Hooks {
  handlerStarted: () => void;
  handlerAborted: () => void;
}

function createServer(hooks: Hooks): McpServer {
  const server = new McpServer({ name: "stateful-fixture", version: "1.0.0" });
  server.registerTool("whoami", { description: "Names the session it runs in." }, (extra) => ({
    content: [{ type: "text", text: extra.sessionId ?? "no session" }],
  }));
  server.registerTool("askName", { description: "Greets the name the client gives when asked." }, async (extra) => {
    const question = {
      message: "Name?",
      requestedSchema: { type: "object" as const, properties: { name: { type: "string" as const } } },
    };
    const answer = await server.server.elicitInput(question, { relatedRequestId: extra.requestId });
    return { content: [{ type: "text", text: `hello ${String(answer.content?.name)}` }] };
  });
  server.registerTool("waitForAbort", { description: "Answers only once the call is aborted." }, (extra) => {
    hooks.handlerStarted();
    return new Promise((resolve) => {
      extra.signal.addEventListener("abort", () => {
        hooks.handlerAborted();
        resolve({ content: [] });
      });
    });
  });
  return server;
}

function startStatefulBackend(hooks: Hooks) {
  const backend = startStatefulFixtureBackend(() => createServer(hooks));
  cleanups.push(() => backend.stop());
  return backend;
}

function poolFor(url: string, callTimeoutMs = 5000): BackendPool {
  const pool = createBackendPool({
    connectTimeoutMs: 2000,
    callTimeoutMs,
    circuit: { failureThreshold: 5, openMs: 1000 },
    log: silentLogger,
  });
  pool.sync([{ name: "svc", url, headers: {} }]);
  cleanups.push(() => pool.close());
  return pool;
}

const noHooks: Hooks = { handlerStarted: () => {}, handlerAborted: () => {} };

async function sessionOfCall(pool: BackendPool): Promise<string> {
  const result = await pool.request("svc", "tools/call", { name: "whoami", arguments: {} });
  return (result.content as { text: string }[])[0]?.text ?? "";
}

describe("a backend with sessions", () => {
  test("is initialised once and gets its session id with every call; closing the pool ends the session", async () => {
    const backend = startStatefulBackend(noHooks);
    const pool = poolFor(backend.url);

    const first = await sessionOfCall(pool);
    expect(first).not.toBe("no session");
    expect(await sessionOfCall(pool)).toBe(first);
    expect(backend.seen.initializations).toBe(1);

    await pool.close();
    await eventually(() => backend.seen.closed === 1);
  });

  test("that forgot the session is initialised again, once, and the call goes through", async () => {
    const backend = startStatefulBackend(noHooks);
    const pool = poolFor(backend.url);
    const first = await sessionOfCall(pool);

    backend.forgetSessions();
    const second = await sessionOfCall(pool);

    expect(second).not.toBe(first);
    expect(backend.seen.initializations).toBe(2);
    expect(pool.state("svc")).toMatchObject({ status: "up", consecutiveFailures: 0 });
  });

  test("that keeps answering 404 fails the call after one new initialisation", async () => {
    const backend = startStatefulBackend(noHooks);
    const pool = poolFor(backend.url);
    await sessionOfCall(pool);

    backend.behaviour.forgetsAlways = true;
    const failure = await sessionOfCall(pool).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(BackendUnavailableError);
    expect((failure as Error).message).toBe(
      'Service "svc" is unavailable: the service answered HTTP 404: Session not found',
    );
    expect(backend.seen.initializations).toBe(2);
  });

  test("gets the caller's answers to what it asks during a call, and an error when the caller cannot answer", async () => {
    const pool = poolFor(startStatefulBackend(noHooks).url);
    const asked: string[] = [];
    const onrequest = async (request: { method: string }) => {
      asked.push(request.method);
      return { action: "accept", content: { name: "Ada" } };
    };

    const answered = await pool.request("svc", "tools/call", { name: "askName", arguments: {} }, { onrequest });
    const refused = await pool.request("svc", "tools/call", { name: "askName", arguments: {} });

    expect(answered.content).toEqual([{ type: "text", text: "hello Ada" }]);
    expect(asked).toEqual(["elicitation/create"]);
    expect(refused.isError).toBe(true);
    expect((refused.content as { text: string }[])[0]?.text).toContain(
      'The gateway does not pass "elicitation/create" requests on to its client here',
    );
  });

  test("the call timeout does not run out while the caller is still answering the backend's question", async () => {
    const pool = poolFor(startStatefulBackend(noHooks).url, 200);
    // Answers only after several call timeouts, as a person filling in a form would.
    const onrequest = async () => {
      await Bun.sleep(700);
      return { action: "accept", content: { name: "Grace" } };
    };

    const answered = await pool.request("svc", "tools/call", { name: "askName", arguments: {} }, { onrequest });

    expect(answered.content).toEqual([{ type: "text", text: "hello Grace" }]);
  });

  test("stops a call's handler when the caller aborts it", async () => {
    let started = () => {};
    let aborted = () => {};
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const handlerAborted = new Promise<void>((resolve) => (aborted = resolve));
    const pool = poolFor(startStatefulBackend({ handlerStarted: started, handlerAborted: aborted }).url);

    const caller = new AbortController();
    const call = pool.request("svc", "tools/call", { name: "waitForAbort", arguments: {} }, { signal: caller.signal });
    await handlerStarted;
    caller.abort(new Error("caller went away"));

    await expect(call).rejects.toThrow("caller went away");
    await handlerAborted;
  });
});
