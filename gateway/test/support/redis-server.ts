/**
 * Redis for tests: the shared server named by REDIS_URL, or a private `redis-server` that a test may stop
 * and restart to play an outage without disturbing anyone else. The private one keeps nothing on disk.
 */
import { connect } from "node:net";
import type { Subprocess } from "bun";

/** The shared server tests run against, if any. */
export function testRedisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}

export function isRedisServerInstalled(): boolean {
  return Bun.which("redis-server") !== null;
}

export interface RedisTestServer {
  url: string;
  /** Stops the server; its data is gone. */
  stop(): Promise<void>;
  /** Starts an empty server on the same port (stopping the running one first). */
  restart(): Promise<void>;
}

const HOST = "127.0.0.1";
const START_ATTEMPTS = 5;
const READY_CHECKS = 100;
const READY_CHECK_DELAY_MS = 50;

export async function startRedisServer(): Promise<RedisTestServer> {
  for (let attempt = 1; ; attempt++) {
    const port = freePort();
    try {
      return await serverOn(port);
    } catch (error) {
      // Another process may have taken the port between our probe and the server's bind.
      if (attempt >= START_ATTEMPTS) throw error;
    }
  }
}

async function serverOn(port: number): Promise<RedisTestServer> {
  let running: Subprocess | undefined = await spawnReady(port);
  const stop = async () => {
    if (!running) return;
    const stopping = running;
    running = undefined;
    stopping.kill();
    await stopping.exited;
  };
  return {
    url: `redis://${HOST}:${port}`,
    stop,
    async restart() {
      await stop();
      running = await spawnReady(port);
    },
  };
}

async function spawnReady(port: number): Promise<Subprocess> {
  const server = Bun.spawn(
    ["redis-server", "--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
    { stdout: "ignore", stderr: "ignore" },
  );
  for (let check = 0; check < READY_CHECKS; check++) {
    if (server.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${server.exitCode}`);
    if (await answersPing(port)) return server;
    await Bun.sleep(READY_CHECK_DELAY_MS);
  }
  server.kill();
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    const finish = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (reply) => finish(reply.toString().startsWith("+PONG")));
    socket.once("error", () => finish(false));
  });
}

function freePort(): number {
  const probe = Bun.listen({ hostname: HOST, port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}
