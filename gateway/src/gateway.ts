/**
 * Builds a complete gateway from its configuration: database, version store, catalog, backend pool,
 * registry and HTTP app. main.ts serves it; tests build several on real stores.
 */
import type { Hono } from "hono";
import { createApp } from "./app.ts";
import { createCatalog, type Catalog } from "./catalog/catalog.ts";
import { createRegistrySync, type RegistrySync } from "./catalog/registry-sync.ts";
import { createVersionStore, type VersionStore } from "./catalog/version-store.ts";
import type { GatewayConfig } from "./config.ts";
import { createBackendPool, type BackendPool } from "./federation/backend-pool.ts";
import { discoverTools } from "./federation/discover-tools.ts";
import type { BackendTarget } from "./federation/mcp-connection.ts";
import type { Logger } from "./logger.ts";
import { createDatabase, type RegistryDatabase } from "./registry/database.ts";
import { listActiveServices } from "./registry/queries.ts";
import { createRegistryService, type RegistryService } from "./registry/registry-service.ts";

export interface Gateway {
  app: Hono;
  catalog: Catalog;
  pool: BackendPool;
  registry: RegistryService;
  sync: RegistrySync;
  database: RegistryDatabase;
  versionStore: VersionStore;
  /** Stops watching and closes backend clients; closes the stores it created itself. */
  close(): Promise<void>;
}

export type GatewaySettings = Pick<
  GatewayConfig,
  "apiKey" | "bearerToken" | "backendBearerToken" | "maxBodyBytes" | "catalogPollIntervalMs" | "toolCallTimeoutMs" | "backendConnectTimeoutMs"
> &
  Partial<Pick<GatewayConfig, "database" | "versionStore">>;

export interface GatewayParts {
  log: Logger;
  /** Use this database instead of opening one from the settings (tests share a per-file database). */
  database?: RegistryDatabase;
  versionStore?: VersionStore;
}

export async function createGateway(settings: GatewaySettings, parts: GatewayParts): Promise<Gateway> {
  const { log } = parts;
  const database =
    parts.database ??
    (await createDatabase({ url: settings.database?.url, pgliteDir: settings.database?.pgliteDir, poolMax: settings.database?.poolMax }));
  const versionStore = parts.versionStore ?? createVersionStore(settings.versionStore ?? {});
  const backendHeaders = (): Record<string, string> => ({ Authorization: `Bearer ${settings.backendBearerToken}` });

  const pool = createBackendPool({
    connectTimeoutMs: settings.backendConnectTimeoutMs,
    callTimeoutMs: settings.toolCallTimeoutMs,
    log: log.child({ component: "backends" }),
  });
  const catalog = createCatalog({
    loadServices: () => listActiveServices(database.db),
    onReload: (next, _previous, durationMs) => {
      pool.sync(next.services.map((s): BackendTarget => ({ name: s.name, url: s.url, headers: backendHeaders() })));
      log.debug("catalog reloaded", { version: next.version, services: next.services.length, tools: next.tools.length, durationMs });
    },
  });
  const sync = createRegistrySync({ store: versionStore, catalog, pollIntervalMs: settings.catalogPollIntervalMs, log });
  const registry = createRegistryService({
    db: database.db,
    discover: (target) => discoverTools(target, settings.backendConnectTimeoutMs),
    backendHeaders,
    announce: () => sync.announce(),
    log,
  });
  await sync.start();

  const app = createApp({
    apiKey: settings.apiKey,
    bearerToken: settings.bearerToken,
    maxBodyBytes: settings.maxBodyBytes,
    registry,
    catalog,
    pool,
    pingDatabase: () => database.ping(),
    versionStore: { kind: versionStore.kind, degraded: () => sync.degraded },
    log,
  });

  return {
    app,
    catalog,
    pool,
    registry,
    sync,
    database,
    versionStore,
    async close() {
      sync.stop();
      await pool.close();
      if (!parts.versionStore) await versionStore.close();
      if (!parts.database) await database.close();
    },
  };
}
