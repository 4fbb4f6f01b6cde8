/**
 * Passes a client's logging/setLevel on to the services of its view, so backends send it the log
 * messages it asked for (the gateway relays them during calls). Best effort: the gateway does not record
 * which backends announced `logging`, so every one is asked, and one that cannot take the level (no
 * logging, unreachable, busy) does not make the client's request fail; the client is answered once all
 * have answered or failed.
 *
 * A client with a session sets the level in its own sessions with the backends (see
 * federation/client-backend-sessions.ts). The sessions of callers without one are the gateway's, shared,
 * so the level a backend keeps there is the one last set through the gateway by any such caller whose
 * view includes it.
 */
import type { LoggingLevel } from "@modelcontextprotocol/server";
import { templateOwners } from "../access/catalog-filter.ts";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import type { CallOptions } from "../federation/backend-pool.ts";
import type { ForwardRouting } from "./route-resources-and-prompts.ts";

export async function relayLogLevel(
  { catalog, pool }: ForwardRouting,
  level: LoggingLevel,
  options: CallOptions = {},
): Promise<Record<string, never>> {
  const services = servicesOf(catalog.snapshot());
  await Promise.allSettled(
    [...services].map((service) => pool.request(service, "logging/setLevel", { level }, options)),
  );
  return {};
}

/** The services that serve anything in the view: its tools, prompts, resources and templates. */
function servicesOf(snapshot: CatalogSnapshot): Set<string> {
  const services = new Set<string>();
  for (const route of snapshot.routes.values()) services.add(route.service);
  for (const route of snapshot.promptRoutes.values()) services.add(route.service);
  for (const resource of snapshot.resources) {
    const service = snapshot.resourceOwner(resource.uri);
    if (service !== undefined) services.add(service);
  }
  const owners = templateOwners(snapshot);
  for (const template of snapshot.resourceTemplates) {
    const service = owners.get(template.uriTemplate);
    if (service !== undefined) services.add(service);
  }
  return services;
}
