/**
 * Section 5: how long `bun run gateway/src/main.ts` takes from spawn to its first successful tools/list,
 * on a registry that is already migrated and filled.
 */
import { resolve } from "node:path";
import { freePort } from "../test/support/backend-process.ts";
import { postToolsList, SEEDED_REGISTRY_ENV, toolNamesOf } from "./bench-gateway.ts";
import { percentile } from "./stats.ts";

export interface StartupFigures {
  database: "postgres" | "pglite";
  tools: number;
  runs: number;
  p50Ms: number;
  maxMs: number;
}

export interface StartupTarget {
  database: StartupFigures["database"];
  databaseUrl?: string;
  pgliteDir?: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  expectedTools: number;
}

const REPO_ROOT = resolve(import.meta.dir, "../..");
const GIVE_UP_MS = 60_000;
const POLL_GAP_MS = 5;

export async function benchStartup(target: StartupTarget, runs: number): Promise<StartupFigures> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) times.push(await timeOneStart(target));
  return {
    database: target.database,
    tools: target.expectedTools,
    runs,
    p50Ms: percentile(times, 50),
    maxMs: Math.max(...times),
  };
}

async function timeOneStart(target: StartupTarget): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = Bun.spawn([process.execPath, "run", "gateway/src/main.ts"], {
    cwd: REPO_ROOT,
    env: gatewayEnv(target, port),
    stdout: "ignore",
    stderr: "inherit",
  });
  try {
    const mcpUrl = `http://127.0.0.1:${port}/mcp`;
    for (let poll = 0; ; poll++) {
      if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode} before answering`);
      const body = await postToolsList(mcpUrl, poll).then(
        (response) => (response.ok ? response.text() : undefined),
        () => undefined,
      );
      if (body !== undefined) {
        const elapsed = performance.now() - started;
        const tools = toolNamesOf(body).length;
        if (tools !== target.expectedTools)
          throw new Error(`the gateway started with ${tools} tools, expected ${target.expectedTools}`);
        return elapsed;
      }
      if (performance.now() - started > GIVE_UP_MS)
        throw new Error(`the gateway did not answer within ${GIVE_UP_MS} ms`);
      await Bun.sleep(POLL_GAP_MS);
    }
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

/**
 * Every store setting is given explicitly, empty where unused, so neither the caller's environment nor
 * a developer's .env file can point the gateway elsewhere.
 */
function gatewayEnv(target: StartupTarget, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    PORT: String(port),
    DATABASE_URL: target.databaseUrl ?? "",
    DB_HOST: "",
    PGLITE_DIR: target.pgliteDir ?? "memory://",
    REDIS_URL: target.redisUrl ?? "",
    REDIS_KEY_PREFIX: target.redisKeyPrefix,
    UPSTASH_REDIS_REST_URL: "",
    UPSTASH_REDIS_REST_TOKEN: "",
    GATEWAY_SERVICES: "",
    // No load balancer to wait for: SIGTERM ends each timed start at once.
    DRAIN_GRACE_MS: "0",
    ...SEEDED_REGISTRY_ENV,
  };
}
