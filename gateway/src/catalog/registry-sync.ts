/**
 * Keeps this replica's catalog in step with the shared registry version, and announces this replica's
 * own writes. A bump that fails while the version store is down is remembered and retried once it is
 * back, so replicas that missed the change still converge without a restart. Independently of the store,
 * every `reconcileIntervalMs` the catalog is checked against the database, and reloaded if it is behind:
 * that bounds how long any replica serves an old catalog, whatever the version store lost.
 */
import type { Logger } from "../logger.ts";
import type { Catalog } from "./catalog.ts";
import type { VersionStore } from "./version-store.ts";
import { type VersionWatcher, watchVersion } from "./version-watcher.ts";

export interface RegistrySync {
  /** Loads the catalog for the first time and starts watching the version. */
  start(): Promise<void>;
  /** After a committed local write: bump the shared version and reload the local catalog. */
  announce(): Promise<void>;
  /** True while the version store cannot be reached. */
  readonly degraded: boolean;
  stop(): void;
}

export interface RegistrySyncDeps {
  store: VersionStore;
  catalog: Catalog;
  pollIntervalMs: number;
  /** True when the database holds writes the catalog has not loaded (see catalog-freshness.ts). */
  catalogStale: () => Promise<boolean>;
  reconcileIntervalMs: number;
  log: Logger;
}

export function createRegistrySync({
  store,
  catalog,
  pollIntervalMs,
  catalogStale,
  reconcileIntervalMs,
  log,
}: RegistrySyncDeps): RegistrySync {
  let watcher: VersionWatcher | undefined;
  let reconciler: ReturnType<typeof setInterval> | undefined;
  let reconciling = false;
  let bumpPending = false;
  let storeFailed = false;

  const reload = (version: number, force = false) =>
    catalog
      .reload(version, { force })
      .catch((error) => log.warn("catalog reload failed; serving the previous catalog", { error }));

  const bump = async (): Promise<number | undefined> => {
    try {
      const version = await store.bump();
      bumpPending = false;
      storeFailed = false;
      return version;
    } catch (error) {
      bumpPending = true;
      storeFailed = true;
      log.warn(
        "could not bump the registry version; other replicas will see the change once the version store is back",
        { error },
      );
      return undefined;
    }
  };

  const reconcile = async () => {
    // A tick that finds a check still running (a slow database) is skipped, not queued.
    if (reconciling) return;
    reconciling = true;
    try {
      if (!(await catalogStale())) return;
      log.info("the catalog is behind the database; reloading it");
      await reload(catalog.snapshot().version, true);
    } catch (error) {
      log.debug("could not compare the catalog with the database", { error });
    } finally {
      reconciling = false;
    }
  };

  const retryPendingBump = async () => {
    if (!bumpPending) return;
    const version = await bump();
    if (version !== undefined) await reload(version);
  };

  return {
    async start() {
      let version = 0;
      try {
        version = await store.current();
      } catch (error) {
        storeFailed = true;
        log.warn("version store unavailable at start; loading the registry anyway", { error });
      }
      await catalog.reload(version, { force: true });
      watcher = watchVersion({
        store,
        pollIntervalMs,
        onVersion: (v) => {
          storeFailed = false;
          void retryPendingBump();
          void reload(v);
        },
        onError: () => {
          storeFailed = true;
        },
        onRecovered: () => {
          storeFailed = false;
          log.info("version store reachable again");
          void retryPendingBump();
        },
      });
      reconciler = setInterval(() => void reconcile(), reconcileIntervalMs);
      reconciler.unref();
    },

    async announce() {
      const version = await bump();
      await reload(version ?? catalog.snapshot().version, true);
    },

    get degraded() {
      return storeFailed || (watcher?.degraded ?? false);
    },

    stop() {
      watcher?.stop();
      clearInterval(reconciler);
    },
  };
}
