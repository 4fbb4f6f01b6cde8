/**
 * An immutable view of the registry as the MCP hot path needs it: the exposed tools, resources,
 * resource templates and prompts, their routing and the services, built once per registry version so
 * requests only read memory.
 */
import type { VirtualServerRecord } from "../access/virtual-server-queries.ts";
import { governTools, NO_GOVERNANCE, type ServiceGovernance } from "../governance/governed-tools.ts";
import type { ToolLimits } from "../governance/tool-governance.ts";
import type { PromptDefinition, ServiceRecord, ToolDefinition } from "../registry/queries.ts";
import { buildResourceRoutes, type ResourceRoutes } from "./resource-routes.ts";

export interface ToolRoute {
  /** Registered service name that owns the tool. */
  service: string;
  /** The tool's name at that service. */
  tool: string;
  /** The name an override gives it (else `tool`), before any `<service>__` qualification; what `<service>/<name>` selects. */
  name: string;
  /** Arguments added to every call, over the client's. */
  fixedArguments?: Readonly<Record<string, unknown>>;
  /** Arguments added where the client left them out. */
  defaultArguments?: Readonly<Record<string, unknown>>;
  /** The tool's limits where they differ from the gateway's (see governance/tool-governance.ts). */
  limits?: ToolLimits;
}

export interface PromptRoute {
  /** Registered service name that owns the prompt. */
  service: string;
  /** The prompt's name at that service. */
  prompt: string;
}

export interface CatalogSnapshot extends ResourceRoutes {
  version: number;
  services: readonly ServiceRecord[];
  /** Tool definitions as clients see them: the backend's JSON, with overrides applied and the exposed name. */
  tools: readonly ToolDefinition[];
  routes: ReadonlyMap<string, ToolRoute>;
  /** Prompt definitions as clients see them, named by the same rule as tools. */
  prompts: readonly PromptDefinition[];
  promptRoutes: ReadonlyMap<string, PromptRoute>;
  /** The virtual servers, loaded with the services so that a request never reads them from the database. */
  virtualServers: readonly VirtualServerRecord[];
  /**
   * Set on a caller's view of the catalog (see access/catalog-views.ts): what the endpoint has but the
   * caller may not use, so that calling it is refused as not permitted rather than reported unknown.
   */
  withheld?: Withheld;
}

export interface Withheld {
  tools: ReadonlySet<string>;
  prompts: ReadonlySet<string>;
  resource(uri: string): boolean;
  /** A listed `uriTemplate` the endpoint serves but the caller may not use. */
  template(uriTemplate: string): boolean;
}

/** Separator of `<service>__<tool>`, the name a tool gets when another service already has its name. */
const QUALIFIED_SEPARATOR = "__";

/**
 * Builds the snapshot. `services` must be ordered by registration time: the earliest service keeps a
 * bare tool or prompt name, later ones get the qualified name, so names already exposed never change
 * when a service registers. Resources are routed by URI (see resource-routes.ts).
 */
export function buildSnapshot(
  services: readonly ServiceRecord[],
  version: number,
  virtualServers: readonly VirtualServerRecord[] = [],
  governance: ReadonlyMap<string, ServiceGovernance> = new Map(),
): CatalogSnapshot {
  const tools = exposeByName(services, (service) => governTools(service, governance.get(service.id) ?? NO_GOVERNANCE));
  const prompts = exposeByName(services, (service) =>
    service.prompts.map((definition) => ({
      definition,
      route: { service: service.name, prompt: definition.name } satisfies PromptRoute,
    })),
  );
  return {
    version,
    services,
    tools: tools.exposed,
    routes: tools.routes,
    prompts: prompts.exposed,
    promptRoutes: prompts.routes,
    virtualServers,
    ...buildResourceRoutes(services),
  };
}

/** Names one kind of definition across all services and maps each exposed name to its route. */
function exposeByName<D extends { name: string }, R>(
  services: readonly ServiceRecord[],
  definitionsOf: (service: ServiceRecord) => readonly { definition: D; route: R }[],
): { exposed: D[]; routes: Map<string, R> } {
  const routes = new Map<string, R>();
  const exposed: D[] = [];
  for (const service of services) {
    for (const { definition, route } of definitionsOf(service)) {
      const name = exposedName(routes, service.name, definition.name);
      if (name === undefined) continue;
      routes.set(name, route);
      exposed.push(name === definition.name ? definition : { ...definition, name });
    }
  }
  return { exposed, routes };
}

function exposedName(taken: ReadonlyMap<string, unknown>, service: string, name: string): string | undefined {
  if (!taken.has(name)) return name;
  const qualified = `${service}${QUALIFIED_SEPARATOR}${name}`;
  // Only a backend that itself lists both "x" and "<service>__x" can get here; the later one is dropped.
  return taken.has(qualified) ? undefined : qualified;
}

export const EMPTY_SNAPSHOT: CatalogSnapshot = buildSnapshot([], 0);
