/**
 * Runs one of the real backend services (shopping, user) as a child process on a free port, so gateway
 * tests talk to the real thing over HTTP and can stop and restart it like an outage would.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";

const REPO_ROOT = resolve(import.meta.dir, "../../..");

export interface BackendProcess {
  /** Base URL as it is registered, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port;
  void probe.stop(true);
  if (port === undefined) throw new Error("could not find a free port");
  return port;
}

export async function startBackend(
  service: "shopping" | "user",
  env: Record<string, string> = {},
): Promise<BackendProcess> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: Subprocess | undefined;

  const start = async () => {
    child = Bun.spawn(["bun", "run", `${service}/src/main.ts`], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: String(port), ...env },
      stdout: "ignore",
      stderr: "inherit",
    });
    await waitForHealth(`${url}/health`, child);
  };
  const stop = async () => {
    child?.kill("SIGKILL");
    await child?.exited;
    child = undefined;
  };

  await start();
  return { url, port, start, stop };
}

async function waitForHealth(url: string, child: Subprocess, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(25);
  }
  throw new Error(`${url} did not become healthy`);
}
