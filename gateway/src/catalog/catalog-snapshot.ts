/**
 * An immutable view of the registry as the MCP hot path needs it: the exposed tool list, the routing
 * table and the services, built once per registry version so requests only read memory.
 */
import type { ServiceRecord, ToolDefinition } from "../registry/queries.ts";

export interface ToolRoute {
  /** Registered service name that owns the tool. */
  service: string;
  /** The tool's name at that service. */
  tool: string;
}

export interface CatalogSnapshot {
  version: number;
  services: readonly ServiceRecord[];
  /** Tool definitions as clients see them: the backend's JSON untouched except for the exposed name. */
  tools: readonly ToolDefinition[];
  routes: ReadonlyMap<string, ToolRoute>;
}

/** Separator of `<service>__<tool>`, the name a tool gets when another service already has its name. */
export const QUALIFIED_SEPARATOR = "__";

/**
 * Builds the snapshot. `services` must be ordered by registration time: the earliest service keeps a
 * bare tool name, later ones get the qualified name, so names already exposed never change when a
 * service registers.
 */
export function buildSnapshot(services: readonly ServiceRecord[], version: number): CatalogSnapshot {
  const routes = new Map<string, ToolRoute>();
  const tools: ToolDefinition[] = [];
  for (const service of services) {
    for (const definition of service.tools) {
      const exposed = exposedName(routes, service.name, definition.name);
      if (exposed === undefined) continue;
      routes.set(exposed, { service: service.name, tool: definition.name });
      tools.push(exposed === definition.name ? definition : { ...definition, name: exposed });
    }
  }
  return { version, services, tools, routes };
}

function exposedName(taken: ReadonlyMap<string, ToolRoute>, service: string, tool: string): string | undefined {
  if (!taken.has(tool)) return tool;
  const qualified = `${service}${QUALIFIED_SEPARATOR}${tool}`;
  // Only a backend that itself lists both "x" and "<service>__x" can get here; the later one is dropped.
  return taken.has(qualified) ? undefined : qualified;
}

export const EMPTY_SNAPSHOT: CatalogSnapshot = buildSnapshot([], 0);
