/**
 * The in-memory catalog: holds the current snapshot and reloads it from the registry when told of a
 * newer version. Reloads are single-flight: however many notifications or requests arrive during a
 * reload, at most one more database read follows it.
 */
import type { VirtualServerRecord } from "../access/virtual-server-queries.ts";
import type { ServiceGovernance } from "../governance/governed-tools.ts";
import type { ServiceRecord } from "../registry/queries.ts";
import type { ToolIndex } from "../tool-search/tool-index.ts";
import { buildSnapshot, type CatalogSnapshot, EMPTY_SNAPSHOT } from "./catalog-snapshot.ts";

export interface CatalogDeps {
  /** Reads the active services, ordered by registration time. */
  loadServices: () => Promise<ServiceRecord[]>;
  /** Reads the virtual servers; they are part of the catalog and reload with it. */
  loadVirtualServers?: () => Promise<VirtualServerRecord[]>;
  /** Reads the tool overrides and pins by service id; applied as the catalog is built. */
  loadGovernance?: () => Promise<ReadonlyMap<string, ServiceGovernance>>;
  /** Told after every successful reload, with the previous and new snapshot. */
  onReload?: (next: CatalogSnapshot, previous: CatalogSnapshot, durationMs: number) => void;
  /** Runs a full garbage collection after the reloads of a large catalog; Bun's unless given. */
  collectGarbage?: () => void;
}

/**
 * From this many tools on, the reloads of a catalog end with a full collection. Reading 10,000 tools
 * leaves 40 to 70 MB of garbage (the rows as the driver read them, their JSON, the previous snapshot and
 * its encoded lists) that Bun's collector, finding little pressure on its own heap, left for seconds:
 * ten reloads in a row took an embedded gateway to 800 MB. The collection blocks for 50 to 150 ms at
 * that size; on a small catalog it would cost as much and free little. It runs before the reload
 * settles, not on a later turn of the event loop, which reloads chained by promises alone never reach.
 */
export const COLLECT_AFTER_RELOAD_TOOLS = 2_000;

export interface Catalog {
  /** The current snapshot; never touches the database. */
  snapshot(): CatalogSnapshot;
  /** Reloads when `version` is newer than the snapshot's, or when forced (after a local write). */
  reload(version: number, options?: { force?: boolean }): Promise<CatalogSnapshot>;
}

/** What MCP requests read: the whole catalog, or one caller's view of it. */
export interface CatalogView extends Pick<Catalog, "snapshot"> {
  /** Set on a virtual server in search mode: the index of the tools of the current snapshot. */
  toolIndex?: () => ToolIndex;
}

export function createCatalog({
  loadServices,
  loadVirtualServers,
  loadGovernance,
  onReload,
  collectGarbage = () => Bun.gc(true),
}: CatalogDeps): Catalog {
  let current = EMPTY_SNAPSHOT;
  let running: Promise<CatalogSnapshot> | undefined;
  let wanted: { version: number; force: boolean } | undefined;

  const runOnce = async (version: number): Promise<CatalogSnapshot> => {
    const started = performance.now();
    const [services, virtualServers, governance] = await Promise.all([
      loadServices(),
      loadVirtualServers?.() ?? [],
      loadGovernance?.(),
    ]);
    const next = buildSnapshot(services, Math.max(version, current.version), virtualServers, governance);
    const previous = current;
    current = next;
    onReload?.(next, previous, performance.now() - started);
    return next;
  };

  // Drains requests that arrived while a reload ran: they are merged into one follow-up read.
  const drain = async (): Promise<CatalogSnapshot> => {
    const before = current;
    try {
      while (wanted) {
        const { version, force } = wanted;
        wanted = undefined;
        if (force || version > current.version) await runOnce(version);
      }
      // A large catalog dropped (a big service deleted) leaves as much garbage as one read.
      const largest = Math.max(before.tools.length, current.tools.length);
      if (current !== before && largest >= COLLECT_AFTER_RELOAD_TOOLS) collectGarbage();
      return current;
    } finally {
      running = undefined;
    }
  };

  return {
    snapshot: () => current,
    reload(version, options = {}) {
      const force = options.force ?? false;
      if (!force && version <= current.version && !running) return Promise.resolve(current);
      wanted = { version: Math.max(version, wanted?.version ?? 0), force: force || (wanted?.force ?? false) };
      running ??= drain();
      return running;
    },
  };
}
