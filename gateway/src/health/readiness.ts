/**
 * When a starting replica may take traffic. Its catalog must be loaded, and must hold the services
 * GATEWAY_SERVICES names: a replica that joined the load balancer before its backends answered would
 * hand clients a tools/list without them. A service another replica registered already counts, so a
 * backend that is down does not hold up a rolling update of the gateway.
 */
import type { Catalog } from "../catalog/catalog.ts";

/**
 * Answers whether `catalog` holds every service in `names`. Once it has, it stays true: a service
 * removed later through the admin API must not take the replica out of rotation.
 */
export function catalogReadiness(catalog: Catalog, names: readonly string[]): () => boolean {
  let ready = false;
  return () => {
    if (ready) return true;
    const present = new Set(catalog.snapshot().services.map((service) => service.name));
    ready = names.every((name) => present.has(name));
    return ready;
  };
}
