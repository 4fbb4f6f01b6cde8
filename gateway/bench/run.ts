/**
 * `bun run bench`: starts what it measures (a shopping backend, in-process gateways, gateway child
 * processes) on scratch stores, runs the six sections, prints a table and writes the results as JSON.
 * Uses Postgres and Redis when DATABASE_URL and REDIS_URL are set, PGlite and an in-process version
 * store otherwise. All traffic stays on 127.0.0.1.
 */
import { availableParallelism } from "node:os";
import { createDatabase } from "../src/registry/database.ts";
import { startAuthorizationServer } from "../test/support/authorization-server.ts";
import { type BackendProcess, startBackend } from "../test/support/backend-process.ts";
import { testRedisUrl } from "../test/support/redis-server.ts";
import { createScratchDatabase, testDatabaseUrl } from "../test/support/test-database.ts";
import {
  BENCH_OAUTH_AUDIENCE,
  PAGED_SEEDED_REGISTRY_CONFIG,
  SEEDED_REGISTRY_CONFIG,
  startBenchGateway,
} from "./bench-gateway.ts";
import { type BenchOptions, BenchUsageError, parseBenchOptions } from "./bench-options.ts";
import {
  type BenchVersionStores,
  createPgliteDirectory,
  openBenchDatabase,
  openBenchVersionStores,
} from "./bench-stores.ts";
import { benchMemory, type MemoryFigures } from "./memory-bench.ts";
import { startNaiveToolListServer } from "./naive-tool-list-server.ts";
import { benchPropagation, type PropagationFigures } from "./propagation-bench.ts";
import {
  type BenchResults,
  checkSoakTargets,
  checkTargets,
  checkToolCallTargets,
  formatReport,
  formatSoakReport,
  formatToolCallReport,
  type SoakResults,
  type ToolCallResults,
} from "./report.ts";
import { generateSearchCatalog } from "./search-catalog.ts";
import { type CatalogSize, seedCatalog } from "./seed-catalog.ts";
import { benchSoak } from "./soak-bench.ts";
import { benchStartup, type StartupFigures } from "./startup-bench.ts";
import { benchToolCalls, type ToolCallFigures } from "./tool-call-bench.ts";
import { benchToolList, type ToolListFigures } from "./tool-list-bench.ts";
import { benchToolSearch, seedSearchCatalog, type ToolSearchFigures } from "./tool-search-bench.ts";

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

interface Environment {
  databaseUrl: string | undefined;
  versions: BenchVersionStores;
}

/** Section 1: the backend, the bare proxy and the gateway each in its own process. */
async function benchToolCallSection(options: BenchOptions, shopping: BackendProcess): Promise<ToolCallFigures[]> {
  const authorizationServer = await startAuthorizationServer();
  try {
    progress(
      `1. tools/call: ${options.rounds} rounds of ${options.calls} calls at c=${options.concurrency.join(",")}, one process each`,
    );
    return await benchToolCalls({
      backendUrl: shopping.url,
      oauthIssuer: authorizationServer.issuer,
      oauthToken: await authorizationServer.clientCredentialsToken({ resource: BENCH_OAUTH_AUDIENCE }),
      concurrency: options.concurrency,
      rounds: options.rounds,
      calls: options.calls,
      warmupCalls: options.warmupCalls,
      cpuProfileDir: options.cpuProf,
    });
  } finally {
    await authorizationServer.stop();
  }
}

/** Section 1, then section 3 on a small registry with two in-process replicas. */
async function benchHotPathAndReplicas(
  options: BenchOptions,
  env: Environment,
  shopping: BackendProcess,
): Promise<{ toolCalls: ToolCallFigures[]; propagation: PropagationFigures }> {
  const toolCalls = await benchToolCallSection(options, shopping);
  const registry = await openBenchDatabase(env.databaseUrl);
  try {
    const a = await startBenchGateway({ database: registry.database, versionStore: env.versions.forReplica() });
    try {
      const b = await startBenchGateway({
        database: await registry.replica(),
        versionStore: env.versions.forReplica(),
      });
      try {
        progress(`3. propagation: ${options.trials} registrations on A, polled on B`);
        const propagation = await benchPropagation({
          gatewayA: a.url,
          gatewayB: b.mcpUrl,
          backendUrl: shopping.url,
          trials: options.trials,
        });
        return { toolCalls, propagation };
      } finally {
        await b.stop();
      }
    } finally {
      await a.stop();
    }
  } finally {
    await registry.close();
  }
}

/** Section 2 on a registry of `size`; the gateway and the baseline read the same database. */
async function benchLargeToolList(
  options: BenchOptions,
  env: Environment,
  size: CatalogSize,
): Promise<ToolListFigures> {
  const registry = await openBenchDatabase(env.databaseUrl);
  try {
    await seedCatalog(registry.database.db, size);
    const parts = () => ({ database: registry.database, versionStore: env.versions.forReplica() });
    const gateway = await startBenchGateway(parts(), SEEDED_REGISTRY_CONFIG);
    const paged = await startBenchGateway(parts(), PAGED_SEEDED_REGISTRY_CONFIG);
    const baseline = startNaiveToolListServer(registry.database.db);
    try {
      progress(
        `2. tools/list: ${options.rounds} rounds of ${options.listRequests} (gateway) and ${options.baselineRequests} (baseline) requests`,
      );
      return await benchToolList({
        gatewayUrl: gateway.mcpUrl,
        pagedGatewayUrl: paged.mcpUrl,
        baselineUrl: `${baseline.url}mcp`,
        expectedTools: size.services * size.toolsPerService,
        rounds: options.rounds,
        gatewayRequests: options.listRequests,
        baselineRequests: options.baselineRequests,
      });
    } finally {
      await baseline.stop(true);
      await Promise.all([gateway.stop(), paged.stop()]);
    }
  } finally {
    await registry.close();
  }
}

/**
 * Sections 4 and 5 with gateways in child processes: always on a PGlite directory, and on Postgres too
 * when there is one, since PGlite's own memory would otherwise hide the gateway's.
 */
async function benchGatewayProcesses(
  options: BenchOptions,
  env: Environment,
  size: CatalogSize,
): Promise<{ memory: MemoryFigures[]; startup: StartupFigures[] }> {
  const expectedTools = size.services * size.toolsPerService;
  const memory: MemoryFigures[] = [];
  const startup: StartupFigures[] = [];
  const common = { redisUrl: env.versions.redisUrl, redisKeyPrefix: env.versions.keyPrefix, expectedTools };

  // Both directories are created and migrated here, so no probe pays for (or holds the memory of) initdb.
  const pglite = await createPgliteDirectory();
  try {
    const emptyPglite = await createPgliteDirectory();
    try {
      const seeded = await createDatabase({ pgliteDir: pglite.dir });
      await seedCatalog(seeded.db, size).finally(() => seeded.close());
      await (await createDatabase({ pgliteDir: emptyPglite.dir })).close();
      progress("4. memory and reload (pglite)");
      memory.push(
        await benchMemory(
          "pglite",
          { loaded: { pgliteDir: pglite.dir }, empty: { pgliteDir: emptyPglite.dir } },
          options.reloads,
        ),
      );
      progress(`5. start-up x${options.startups} (pglite)`);
      startup.push(await benchStartup({ database: "pglite", pgliteDir: pglite.dir, ...common }, options.startups));
    } finally {
      await emptyPglite.remove();
    }
  } finally {
    await pglite.remove();
  }

  if (env.databaseUrl) {
    const loaded = await openBenchDatabase(env.databaseUrl);
    try {
      const empty = await createScratchDatabase(env.databaseUrl);
      try {
        await seedCatalog(loaded.database.db, size);
        progress("4. memory and reload (postgres)");
        memory.push(
          await benchMemory(
            "postgres",
            { loaded: { databaseUrl: loaded.url }, empty: { databaseUrl: empty.url } },
            options.reloads,
          ),
        );
        progress(`5. start-up x${options.startups} (postgres)`);
        startup.push(
          await benchStartup({ database: "postgres", databaseUrl: loaded.url, ...common }, options.startups),
        );
      } finally {
        await empty.drop();
      }
    } finally {
      await loaded.close();
    }
  }
  return { memory, startup };
}

/** Section 6 on a registry of generated tools, searched through a virtual server in search mode. */
async function benchSearch(options: BenchOptions, env: Environment): Promise<ToolSearchFigures> {
  const catalog = generateSearchCatalog({
    tools: options.searchTools,
    toolsPerService: 50,
    queries: options.searchQueries,
  });
  const registry = await openBenchDatabase(env.databaseUrl);
  try {
    await seedSearchCatalog(registry.database.db, catalog);
    const gateway = await startBenchGateway(
      { database: registry.database, versionStore: env.versions.forReplica() },
      SEEDED_REGISTRY_CONFIG,
    );
    try {
      progress(
        `6. tool search: ${options.rounds} rounds of ${catalog.queries.length} labelled queries over ${options.searchTools} tools`,
      );
      return await benchToolSearch({ gatewayUrl: gateway.url, catalog, rounds: options.rounds });
    } finally {
      await gateway.stop();
    }
  } finally {
    await registry.close();
  }
}

function metaOf(
  options: BenchOptions,
  databaseUrl: string | undefined,
  versionStore: BenchResults["meta"]["versionStore"],
) {
  return {
    startedAt: new Date().toISOString(),
    bun: Bun.version,
    cpus: availableParallelism(),
    quick: options.quick,
    database: databaseUrl ? "postgres" : "pglite",
    versionStore,
    sizes: { ...options, out: undefined },
  } satisfies BenchResults["meta"];
}

/** `--only tool-call`: section 1 alone; it starts its own processes, so it needs no scratch stores. */
async function toolCallsOnly(options: BenchOptions): Promise<ToolCallResults> {
  const meta = metaOf(options, undefined, "memory");
  const shopping = await startBackend("shopping");
  try {
    const toolCalls = await benchToolCallSection(options, shopping);
    return { meta, toolCalls, targets: checkToolCallTargets(toolCalls) };
  } finally {
    await shopping.stop();
  }
}

/** The soak test alone: its gateway runs on the embedded defaults, as `bun run start:gateway` does. */
async function soak(options: BenchOptions): Promise<SoakResults> {
  const meta = metaOf(options, undefined, "memory");
  progress(`soak: ${options.soakCalls} calls at c=${options.soakConcurrency}, at most ${options.soakMinutes} minutes`);
  const figures = await benchSoak(
    { calls: options.soakCalls, concurrency: options.soakConcurrency, maxMinutes: options.soakMinutes },
    progress,
  );
  return { meta, soak: figures, targets: checkSoakTargets(figures) };
}

async function main(options: BenchOptions): Promise<BenchResults> {
  const env: Environment = { databaseUrl: testDatabaseUrl(), versions: openBenchVersionStores(testRedisUrl()) };
  const size: CatalogSize = { services: options.services, toolsPerService: options.toolsPerService };
  const meta = metaOf(options, env.databaseUrl, env.versions.kind);
  progress(`database ${meta.database}, version store ${meta.versionStore}`);
  try {
    const shopping = await startBackend("shopping");
    let hot: Awaited<ReturnType<typeof benchHotPathAndReplicas>>;
    try {
      hot = await benchHotPathAndReplicas(options, env, shopping);
    } finally {
      await shopping.stop();
    }
    const toolList = await benchLargeToolList(options, env, size);
    const processes = await benchGatewayProcesses(options, env, size);
    const toolSearch = await benchSearch(options, env);
    const partial = {
      meta,
      toolCalls: hot.toolCalls,
      toolList,
      propagation: { ...hot.propagation, versionStore: env.versions.kind },
      ...processes,
      toolSearch,
    };
    return { ...partial, targets: checkTargets(partial) };
  } finally {
    await env.versions.close();
  }
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(Bun.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  if (options.soak) {
    const results = await soak(options);
    process.stdout.write(formatSoakReport(results));
    await Bun.write(options.out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`results written to ${options.out}`);
    process.exit(0);
  }
  if (options.only === "tool-call") {
    const results = await toolCallsOnly(options);
    process.stdout.write(formatToolCallReport(results));
    await Bun.write(options.out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`results written to ${options.out}`);
    process.exit(0);
  }
  const results = await main(options);
  process.stdout.write(formatReport(results));
  await Bun.write(options.out, `${JSON.stringify(results, null, 2)}\n`);
  progress(`results written to ${options.out}`);
  process.exit(0);
}
