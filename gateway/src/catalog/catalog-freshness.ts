/**
 * Lets a replica find out from the database itself that its catalog is behind, for the changes the
 * version store never told it of: a write made while Redis was down by a replica that then died, with
 * Redis back empty, leaves nobody to announce it. Each load records the registry's change count first,
 * so comparing it with the current count (one single-row read) tells whether a committed write is missing.
 */
import type { Database } from "../registry/database.ts";
import { listActiveServices, readChangeCount, type ServiceRecord } from "../registry/queries.ts";

export interface CatalogFreshness {
  /** The catalog's loader: the active services, noting the change count they include. */
  load(): Promise<ServiceRecord[]>;
  /** True when writes were committed after the last load began. */
  stale(): Promise<boolean>;
}

export function createCatalogFreshness(db: Database): CatalogFreshness {
  let loadedCount: number | undefined;
  return {
    async load() {
      // Read before the services: a write committing in between is then loaded and still counted as
      // missing, which costs one more load, never a missed change.
      const count = await readChangeCount(db);
      const services = await listActiveServices(db);
      loadedCount = count;
      return services;
    },
    async stale() {
      return (await readChangeCount(db)) !== loadedCount;
    },
  };
}
