/**
 * Each caller's view of the catalog, built once per catalog version and kept in a bounded cache, so a
 * request costs one map lookup. Views depend only on the endpoint and the caller's scopes and roles,
 * so callers that hold the same ones share a view (and the fast path's encoded tools/list with it, or
 * the tool index of a server in search mode).
 */
import type { Catalog, CatalogView } from "../catalog/catalog.ts";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import type { Identity } from "../identity/identity.ts";
import { buildToolIndex, type ToolIndex } from "../tool-search/tool-index.ts";
import { type AccessPolicy, grantsOf, isAdmin } from "./access-policy.ts";
import { EVERYTHING, filterSnapshot, matcherOf } from "./catalog-filter.ts";

export interface CatalogViews {
  /** What `identity` sees at the endpoint of the whole catalog. */
  whole(identity: Identity): CatalogView;
  /** What `identity` sees at the virtual server `name`; undefined when no virtual server has that name. */
  server(identity: Identity, name: string): CatalogView | undefined;
}

export interface CatalogViewsDeps {
  catalog: Catalog;
  policy: AccessPolicy;
  /** Most views kept per catalog version; the least recently used one goes first. */
  maxViews?: number;
}

const ADMIN_KEY = "*";

export function createCatalogViews({ catalog, policy, maxViews = 1000 }: CatalogViewsDeps): CatalogViews {
  const keys = new WeakMap<Identity, string>();
  let cachedFor: CatalogSnapshot | undefined;
  const views = new Map<string, CatalogSnapshot>();

  const keyOf = (identity: Identity) => {
    let key = keys.get(identity);
    if (key === undefined) {
      key = isAdmin(identity, policy)
        ? ADMIN_KEY
        : JSON.stringify([[...identity.scopes].sort(), [...identity.roles].sort()]);
      keys.set(identity, key);
    }
    return key;
  };

  const view = (identity: Identity, server: string | undefined): CatalogSnapshot => {
    const base = catalog.snapshot();
    if (base !== cachedFor) {
      views.clear();
      cachedFor = base;
    }
    const identityKey = keyOf(identity);
    if (server === undefined && identityKey === ADMIN_KEY) return base;
    const key = `${server ?? ""}\n${identityKey}`;
    const cached = views.get(key);
    if (cached) {
      // Re-inserted, so the map's order is least recently used first.
      views.delete(key);
      views.set(key, cached);
      return cached;
    }
    const built = buildView(base, identity, identityKey === ADMIN_KEY, server);
    if (views.size >= maxViews) views.delete(views.keys().next().value as string);
    views.set(key, built);
    return built;
  };

  // Keyed by the view, so an index lives as long as its view is cached or a request still reads it.
  const indexes = new WeakMap<CatalogSnapshot, ToolIndex>();
  const indexOf = (snapshot: CatalogSnapshot) => {
    let index = indexes.get(snapshot);
    if (!index) {
      index = buildToolIndex(snapshot.tools);
      indexes.set(snapshot, index);
    }
    return index;
  };

  return {
    whole: (identity) => ({ snapshot: () => view(identity, undefined) }),
    server(identity, name) {
      const server = catalog.snapshot().virtualServers.find((s) => s.name === name);
      if (!server) return undefined;
      const snapshot = () => view(identity, name);
      return server.mode === "search" ? { snapshot, toolIndex: () => indexOf(snapshot()) } : { snapshot };
    },
  };
}

function buildView(base: CatalogSnapshot, identity: Identity, admin: boolean, server: string | undefined) {
  const selected = base.virtualServers.find((s) => s.name === server);
  // A server deleted while a request of it runs serves nothing from then on.
  const endpoint = server === undefined ? EVERYTHING : matcherOf(selected ? [selected] : [], base);
  const allowed = admin ? EVERYTHING : matcherOf(grantsOf(identity, base.virtualServers), base);
  return filterSnapshot(base, endpoint, allowed);
}
