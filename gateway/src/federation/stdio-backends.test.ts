/**
 * Stdio backends: registered by command, run by the gateway in a process group of their own, called
 * through the same pool as HTTP backends, restarted when they die and killed when they leave. The real
 * server is @modelcontextprotocol/server-memory from the npm registry; the cycles use a tiny server of
 * our own, which starts fast enough to be spawned hundreds of times.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { eventually } from "../../test/support/eventually.ts";
import {
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import { createLogger } from "../logger.ts";
import { createBackendPool } from "./backend-pool.ts";

const MEMORY_SERVER = join(import.meta.dir, "../../node_modules/.bin/mcp-server-memory");
const ECHO_SERVER = join(import.meta.dir, "../../test/support/stdio-echo-server.ts");
const SECRETS_KEY = "test-secrets-key-with-enough-entropy-0123456789";
const BUN = process.execPath;

/** Live processes (zombies aside) whose command line contains `marker`, from /proc; `parent` narrows them. */
function processesRunning(marker: string, parent?: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if ((parent !== undefined && Number(ppid) !== parent) || state === "Z") continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Processes the test process started itself whose command line contains `marker`. */
const childrenRunning = (marker: string) => processesRunning(marker, process.pid);

let database: TestDatabase;
let gw: RunningGateway;
const logLines: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  gw = await startGateway({
    database,
    versionStore: await createTestVersionStore(),
    settings: { secretsKey: SECRETS_KEY, stdioCommands: [BUN], stdioRestartMaxMs: 20 },
    log: createLogger({ level: "info", json: true, write: (line) => logLines.push(line) }),
  });
});
afterAll(async () => {
  await gw?.stop();
  await database?.close();
});

describe("a stdio backend from the npm registry", () => {
  const memoryFile = join(tmpdir(), `memory-${crypto.randomUUID()}.jsonl`);

  test("is registered by command, called through the gateway, and its env is sealed and never shown", async () => {
    const registered = await gw.admin("POST", "/register", {
      name: "memory",
      command: BUN,
      args: [MEMORY_SERVER],
      env: { MEMORY_FILE_PATH: memoryFile },
    });
    expect(registered.status).toBe(201);
    const body = (await registered.json()) as { service: Record<string, unknown> };
    expect(body.service.command).toEqual({ command: BUN, args: [MEMORY_SERVER] });
    expect(body.service.tools).toContain("create_entities");
    expect(JSON.stringify(body)).not.toContain(memoryFile);

    const client = await gw.client();
    const created = await client.callTool({
      name: "create_entities",
      arguments: { entities: [{ name: "gateway", entityType: "software", observations: ["speaks stdio"] }] },
    });
    expect(created.isError).toBeFalsy();
    const graph = await client.callTool({ name: "read_graph", arguments: {} });
    expect(firstText(graph)).toContain("speaks stdio");
    // The variable reached the process: it wrote where it was told.
    expect(readFileSync(memoryFile, "utf8")).toContain("speaks stdio");

    const rows = await database.db.execute(sql`select secret_env, command::text from services where name = 'memory'`);
    expect(JSON.stringify(rows)).not.toContain(memoryFile);
    const services = await (await gw.admin("GET", "/services")).text();
    expect(services).not.toContain(memoryFile);
  });

  test("its stderr is in the gateway's log, a line at a time, with the service's name", () => {
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.msg === "backend stderr" && l.service === "memory");
    expect(line?.line).toBe("Knowledge Graph MCP Server running on stdio");
  });

  test("health is the process alive and answering a ping; deleting it kills its process", async () => {
    await gw.gateway.pool.check("memory", 2_000);
    expect(gw.gateway.pool.state("memory")?.status).toBe("up");
    expect(childrenRunning(MEMORY_SERVER)).toHaveLength(1);
    expect((await gw.admin("DELETE", "/delete/memory")).status).toBe(200);
    await eventually(() => childrenRunning(MEMORY_SERVER).length === 0);
  });
});

describe("refusals", () => {
  test("a command outside STDIO_COMMANDS is refused with 403, saying which commands are allowed", async () => {
    const response = await gw.admin("POST", "/register", { name: "shell", command: "sh", args: ["-c", "id"] });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("STDIO_COMMANDS");
  });

  test("with STDIO_COMMANDS empty, stdio backends are off", async () => {
    const off = await startGateway({ database, versionStore: await createTestVersionStore() });
    try {
      const response = await off.admin("POST", "/register", { name: "echo", command: BUN, args: [ECHO_SERVER] });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
        "stdio backends are off",
      );
      expect(childrenRunning(ECHO_SERVER)).toHaveLength(0);
    } finally {
      await off.stop();
    }
  });

  test("a replica whose STDIO_COMMANDS lacks a registered command does not run it, and says why", async () => {
    const marker = `elsewhere-${crypto.randomUUID()}`;
    const registered = await gw.admin("POST", "/register", {
      name: "elsewhere",
      command: BUN,
      args: [ECHO_SERVER, marker],
    });
    expect(registered.status).toBe(201);
    await eventually(() => childrenRunning(marker).length === 1);
    const other = await startGateway({ database, versionStore: await createTestVersionStore() });
    try {
      const answer = await (await other.client()).callTool({ name: "echo", arguments: { text: "hi" } });
      expect(answer.isError).toBe(true);
      expect(firstText(answer)).toContain("STDIO_COMMANDS");
      expect(childrenRunning(marker)).toHaveLength(1);
    } finally {
      await other.stop();
      await gw.admin("DELETE", "/delete/elsewhere");
    }
  });

  test("a command that dies at once is refused with 502, saying what it printed", async () => {
    const response = await gw.admin("POST", "/register", {
      name: "broken",
      command: BUN,
      args: ["-e", "console.error('no configuration found'); process.exit(2)"],
    });
    expect(response.status).toBe(502);
    const { message } = ((await response.json()) as { error: { message: string } }).error;
    expect(message).toContain("exited with code 2");
    expect(message).toContain("no configuration found");
  });

  test("an allowed command that cannot be started is refused with 502, saying why", async () => {
    const missing = join(tmpdir(), `no-such-command-${crypto.randomUUID()}`);
    const lenient = await startGateway({
      database,
      versionStore: await createTestVersionStore(),
      settings: { stdioCommands: [missing] },
    });
    try {
      const response = await lenient.admin("POST", "/register", { name: "missing", command: missing });
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
        "could not be started",
      );
    } finally {
      await lenient.stop();
    }
  });

  test("a registration names exactly one of url and command", async () => {
    const both = await gw.admin("POST", "/register", { name: "x", url: "http://127.0.0.1:1", command: BUN });
    expect(both.status).toBe(400);
  });
});

describe("process groups", () => {
  test("what a backend's process started goes with it, when the backend dies and when it is deleted", async () => {
    const helper = `helper-${crypto.randomUUID()}`;
    const registered = await gw.admin("POST", "/register", {
      name: "with-helper",
      command: BUN,
      args: [ECHO_SERVER, helper],
      env: { ECHO_HELPER: helper },
    });
    expect(registered.status).toBe(201);
    // Discovery ran the server once and has stopped it; the pool runs it now: one leader, one helper.
    await eventually(() => childrenRunning(helper).length === 1 && processesRunning(helper).length === 2);

    const [leader] = childrenRunning(helper);
    const [firstHelper] = processesRunning(helper).filter((pid) => pid !== leader);
    process.kill(leader ?? 0, "SIGKILL");
    await eventually(() => {
      const now = processesRunning(helper);
      return now.length === 2 && !now.includes(leader ?? 0) && !now.includes(firstHelper ?? 0);
    });

    expect((await gw.admin("DELETE", "/delete/with-helper")).status).toBe(200);
    await eventually(() => processesRunning(helper).length === 0);
  });
});

describe("stopping", () => {
  test("a process that ignores SIGTERM is killed after the grace", async () => {
    const marker = `stubborn-${crypto.randomUUID()}`;
    const registered = await gw.admin("POST", "/register", {
      name: "stubborn",
      command: BUN,
      args: [ECHO_SERVER, marker],
      env: { ECHO_IGNORE_TERM: "1" },
    });
    expect(registered.status).toBe(201);
    await eventually(() => childrenRunning(marker).length === 1);
    expect((await gw.admin("DELETE", "/delete/stubborn")).status).toBe(200);
    await eventually(() => childrenRunning(marker).length === 0);
  });
});

describe("no process leaks", () => {
  test("after 100 start/stop cycles and a restart storm, the running processes are the registered ones", async () => {
    // Most cycles drive a pool of their own, which starts and stops processes as the gateway's does but
    // skips the discovery and database round trips of a registration, back to back so that many a
    // process is killed while it starts; the last ten go the whole way through the admin API.
    const pool = createBackendPool({
      connectTimeoutMs: 5_000,
      callTimeoutMs: 5_000,
      circuit: { failureThreshold: 5, openMs: 1_000 },
      stdio: { commands: [BUN], backoff: { initialMs: 20, maxMs: 20 } },
      log: createLogger({ level: "error", json: true, write: () => {} }),
    });
    const echo = (name: string, run: number) => ({
      name,
      stdio: { command: BUN, args: [ECHO_SERVER, name, `run-${run}`], env: {} },
    });
    for (let cycle = 0; cycle < 90; cycle++) {
      // Pairs of cycles share a name: the second changes the backend, the next pair replaces it.
      pool.sync([echo(`echo-${Math.floor(cycle / 2) % 3}`, cycle)]);
    }
    pool.sync([]);
    await pool.close();
    expect(childrenRunning(ECHO_SERVER)).toHaveLength(0);

    for (let cycle = 0; cycle < 10; cycle++) {
      const name = `echo-${cycle % 3}`;
      const registered = await gw.admin("POST", "/register", { name, command: BUN, args: [ECHO_SERVER, name] });
      expect(registered.status).toBe(201);
      expect((await gw.admin("DELETE", `/delete/${name}`)).status).toBe(200);
    }
    for (const name of ["kept-a", "kept-b"])
      expect((await gw.admin("POST", "/register", { name, command: BUN, args: [ECHO_SERVER, name] })).status).toBe(201);
    await eventually(() => childrenRunning(ECHO_SERVER).length === 2);

    // The storm: kill the processes again and again; each comes back, and only once.
    for (let round = 0; round < 20; round++) {
      const running = childrenRunning(ECHO_SERVER);
      for (const pid of running) process.kill(pid, "SIGKILL");
      await eventually(() => {
        const now = childrenRunning(ECHO_SERVER);
        return now.length === 2 && now.every((pid) => !running.includes(pid));
      });
    }
    const client = await gw.client();
    await eventually(() => existsSync(`/proc/${childrenRunning(ECHO_SERVER)[0]}`));
    const answer = await client.callTool({ name: "echo", arguments: { text: "still here" } });
    expect(firstText(answer)).toBe("still here");
    expect(childrenRunning(ECHO_SERVER)).toHaveLength(2);
  });
});

describe("calls to a stdio backend", () => {
  let ownDatabase: TestDatabase;
  let strict: RunningGateway;
  const strictLog: string[] = [];

  beforeAll(async () => {
    ownDatabase = await createTestDatabase();
  });
  beforeAll(async () => {
    strict = await startGateway({
      database: ownDatabase,
      versionStore: await createTestVersionStore(),
      settings: {
        secretsKey: SECRETS_KEY,
        stdioCommands: [BUN],
        stdioRestartMaxMs: 20,
        toolCallTimeoutMs: 400,
        callLimits: {
          maxCallDurationMs: 60_000,
          maxAnswerBytes: 4096,
          maxConcurrentCalls: 32,
          maxWaitingCalls: 64,
          maxGatewayCalls: 192,
        },
      },
      log: createLogger({ level: "info", json: true, write: (line) => strictLog.push(line) }),
    });
    const registered = await strict.admin("POST", "/register", { name: "calls", command: BUN, args: [ECHO_SERVER] });
    expect(registered.status).toBe(201);
  });
  afterAll(async () => {
    await strict?.stop();
    await ownDatabase?.close();
  });

  /** Calls `echo` until it answers: after a death, the process is back after its restart delay. */
  const echoOnceBack = async () => {
    const client = await strict.client();
    for (;;) {
      const answer = await client.callTool({ name: "echo", arguments: { text: "back" } });
      if (!answer.isError) return firstText(answer);
      await Bun.sleep(20);
    }
  };

  test("progress keeps a call alive past the call timeout, and reaches the client", async () => {
    const progress: number[] = [];
    const result = await (await strict.client()).callTool({ name: "progress", arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(firstText(result)).toBe("finished");
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("a call that gets no answer fails at the call timeout and is cancelled on the backend", async () => {
    const result = await (await strict.client()).callTool({ name: "hang", arguments: {} });
    expect(result.isError).toBe(true);
    await eventually(() =>
      strictLog.some((l) => {
        const line = JSON.parse(l);
        return line.msg === "backend stderr" && String(line.line).startsWith("cancelled");
      }),
    );
  });

  test("a process that dies in the middle of a call fails the call, and is started again", async () => {
    const result = await (await strict.client()).callTool({ name: "die", arguments: {} });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain("process ended before it answered");
    expect(await echoOnceBack()).toBe("back");
  });

  test("an answer over the cap fails the call, naming the cap, and the next call is answered", async () => {
    const client = await strict.client();
    // Larger than a pipe's buffer, so the line arrives in many pieces.
    const result = await client.callTool({ name: "big", arguments: { size: 200_000 } });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain("TOOL_RESULT_MAX_BYTES");
    expect(firstText(await client.callTool({ name: "big", arguments: { size: 10 } }))).toBe("x".repeat(10));
  });

  test("the backend's ping is answered; its requests for the caller's client are refused", async () => {
    const result = await (await strict.client()).callTool({ name: "ask", arguments: {} });
    const said = JSON.parse(firstText(result)) as { ping: unknown; sampling: { code: number; message: string } };
    expect(said.ping).toEqual({});
    expect(said.sampling.code).toBe(-32601);
    expect(said.sampling.message).toContain("sampling/createMessage");
  });

  test("a process that refuses to initialise fails calls, and is initialised once it accepts", async () => {
    const refuse = join(tmpdir(), `refuse-init-${crypto.randomUUID()}`);
    const registered = await strict.admin("POST", "/register", {
      name: "moody",
      command: BUN,
      args: [ECHO_SERVER, refuse],
      env: { ECHO_REFUSE_INIT: refuse },
    });
    expect(registered.status).toBe(201);
    await eventually(() => childrenRunning(refuse).length === 1);
    // From its next start on, the process refuses.
    await Bun.write(refuse, "");
    const [first] = childrenRunning(refuse);
    process.kill(first ?? 0, "SIGKILL");
    await eventually(() => childrenRunning(refuse).some((pid) => pid !== first));

    const client = await strict.client();
    const call = () => client.callTool({ name: "moody__echo", arguments: { text: "hello" } });
    let refused = await call();
    // A call may still meet the dead process; the restarted one refuses.
    while (!firstText(refused).includes("refused to initialise")) refused = await call();
    expect(refused.isError).toBe(true);
    expect(firstText(refused)).toContain("not configured yet");

    rmSync(refuse);
    let accepted = await call();
    while (accepted.isError) accepted = await call();
    expect(firstText(accepted)).toBe("hello");
    expect((await strict.admin("DELETE", "/delete/moody")).status).toBe(200);
    // Gone before the next test counts the echo servers running.
    await eventually(() => childrenRunning(refuse).length === 0);
  });

  test("an update of its arguments replaces the process; headers do not belong to it", async () => {
    const marker = `updated-${crypto.randomUUID()}`;
    const runningBefore = childrenRunning(ECHO_SERVER).length;
    const updated = await strict.admin("PUT", "/update/calls", { args: [ECHO_SERVER, marker] });
    expect(updated.status).toBe(200);
    expect(((await updated.json()) as { service: { command: unknown } }).service.command).toEqual({
      command: BUN,
      args: [ECHO_SERVER, marker],
    });
    // The new process runs in place of the old one, not beside it.
    await eventually(
      () => childrenRunning(marker).length === 1 && childrenRunning(ECHO_SERVER).length === runningBefore,
    );
    expect(await echoOnceBack()).toBe("back");

    const headers = await strict.admin("PUT", "/update/calls", { headers: { Authorization: "Bearer x" } });
    expect(headers.status).toBe(400);
    expect(((await headers.json()) as { error: { message: string } }).error.message).toContain("give its url too");
  });
});
