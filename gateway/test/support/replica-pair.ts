/**
 * Two gateway replicas on one registry database, one version store and one session bus, as behind a
 * load balancer: on REDIS_URL when set, else on shared in-process stores.
 */
import { afterAll, beforeAll } from "bun:test";
import type { VersionStore } from "../../src/catalog/version-store.ts";
import type { GatewaySettings } from "../../src/gateway.ts";
import type { Logger } from "../../src/logger.ts";
import { createSessionBus } from "../../src/sessions/session-bus.ts";
import { eventually } from "./eventually.ts";
import { createTestVersionStore, type RunningGateway, registerServices, startGateway } from "./gateway-harness.ts";
import { testRedisUrl } from "./redis-server.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

export interface ReplicaPair {
  database: TestDatabase;
  a: RunningGateway;
  b: RunningGateway;
  /** Replica a's version store. */
  versionStore: VersionStore;
  stop(): Promise<void>;
}

export interface ReplicaPairOptions {
  settings?: Partial<GatewaySettings>;
  /** Services (name → URL) registered through replica a; the pair is returned once replica b has them all. */
  register?: Record<string, string>;
  /** A database the caller owns and closes; else the pair makes one of its own. */
  database?: TestDatabase;
  /** The replicas' version stores, for a test about the stores themselves; the pair closes them. */
  versionStores?: [VersionStore, VersionStore];
  /** Each replica's logger, for tests that read what one replica did. */
  logs?: { a?: Logger; b?: Logger };
}

export async function startReplicaPair(options: ReplicaPairOptions = {}): Promise<ReplicaPair> {
  const { settings, logs = {} } = options;
  const database = options.database ?? (await createTestDatabase());
  const prefix = `test:${crypto.randomUUID()}:`;
  // With Redis each replica has its own connections; without, they must share the in-process ones.
  const count = testRedisUrl() ? 2 : 1;
  const stores =
    options.versionStores ?? (await Promise.all(Array.from({ length: count }, () => createTestVersionStore(prefix))));
  const buses = await Promise.all(
    Array.from({ length: count }, () => createSessionBus({ redisUrl: testRedisUrl(), keyPrefix: prefix })),
  );
  const a = await startGateway({ database, versionStore: stores[0]!, sessionBus: buses[0], settings, log: logs.a });
  const b = await startGateway({
    database,
    versionStore: stores.at(-1)!,
    sessionBus: buses.at(-1),
    settings,
    log: logs.b,
  });
  const pair: ReplicaPair = {
    database,
    a,
    b,
    versionStore: stores[0]!,
    async stop() {
      await Promise.all([a.stop(), b.stop()]);
      await Promise.all([...new Set([...stores, ...buses])].map((s) => s.close()));
      if (!options.database) await database.close();
    },
  };
  try {
    await registerServices(a, options.register ?? {});
    // Replica b learns of the registrations through the version store, as in production.
    const names = Object.keys(options.register ?? {});
    await eventually(() => names.every((name) => b.gateway.catalog.snapshot().services.some((s) => s.name === name)));
  } catch (error) {
    await pair.stop();
    throw error;
  }
  return pair;
}

/** A replica pair and the one backend registered on it. */
export type ServedPair<B> = ReplicaPair & { backend: B };

/**
 * The preamble of a test file about one backend behind two replicas: before the file's tests it starts
 * the backend and a replica pair with it registered as `name`, after them it stops both. The fields are
 * set once the file's beforeAll hooks have run.
 */
export function replicaPairServing<B extends { url: string; stop(): Promise<void> }>(
  name: string,
  startBackend: () => B,
  settings?: Partial<GatewaySettings>,
): ServedPair<B> {
  const served = {} as ServedPair<B>;
  beforeAll(async () => {
    const backend = startBackend();
    served.backend = backend;
    Object.assign(served, await startReplicaPair({ register: { [name]: backend.url }, settings }));
  });
  afterAll(async () => {
    await served.stop?.();
    await served.backend?.stop();
  });
  return served;
}
