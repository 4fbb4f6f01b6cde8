/**
 * Cuts a catalog snapshot down to what an endpoint serves and its caller may use. The result is itself
 * a snapshot, so every list, page and route of the MCP endpoint works on it unchanged; what the endpoint
 * serves but the caller may not use is recorded as withheld, so that calls to it are refused as such.
 */
import { UriTemplate } from "@modelcontextprotocol/server";
import type { CatalogSnapshot, PromptRoute, ToolRoute } from "../catalog/catalog-snapshot.ts";
import type { Selection } from "./access-policy.ts";

/** Decides, item by item, whether a selection (or a union of them) includes it. */
export interface Matcher {
  tool(name: string, route: ToolRoute): boolean;
  prompt(name: string, route: PromptRoute): boolean;
  resource(uri: string, service: string): boolean;
  template(uriTemplate: string, service: string): boolean;
}

export const EVERYTHING: Matcher = { tool: yes, prompt: yes, resource: yes, template: yes };

/** Compiles the selections of `snapshot`'s catalog into one matcher that includes what any of them does. */
export function matcherOf(selections: readonly Selection[], snapshot: CatalogSnapshot): Matcher {
  const services = new Set(selections.flatMap((s) => s.services));
  const tools = globs(selections.flatMap((s) => s.tools));
  const prompts = globs(selections.flatMap((s) => s.prompts));
  const resources = globs(selections.flatMap((s) => s.resources));
  // A template selected by pattern makes the URIs it matches readable too, or listing it would mislead.
  const owners = templateOwners(snapshot);
  const templates = snapshot.resourceTemplates
    .filter((t) => resources(t.uriTemplate))
    .map((t) => ({ template: new UriTemplate(t.uriTemplate), service: owners.get(t.uriTemplate) }));
  return {
    tool: (name, route) => services.has(route.service) || tools(name) || tools(`${route.service}/${route.name}`),
    prompt: (name, route) =>
      services.has(route.service) || prompts(name) || prompts(`${route.service}/${route.prompt}`),
    template: (uriTemplate, service) => services.has(service) || resources(uriTemplate),
    resource: (uri, service) =>
      services.has(service) ||
      resources(uri) ||
      templates.some((t) => t.service === service && templateMatches(t.template, uri)),
  };
}

/** The part of `base` that `endpoint` serves and `allowed` permits. */
export function filterSnapshot(base: CatalogSnapshot, endpoint: Matcher, allowed: Matcher): CatalogSnapshot {
  const withheldTools = new Set<string>();
  const withheldPrompts = new Set<string>();
  const routes = new Map<string, ToolRoute>();
  const promptRoutes = new Map<string, PromptRoute>();
  const tools = base.tools.filter((tool) => {
    const route = base.routes.get(tool.name);
    if (!route || !endpoint.tool(tool.name, route)) return false;
    if (!allowed.tool(tool.name, route)) {
      withheldTools.add(tool.name);
      return false;
    }
    routes.set(tool.name, route);
    return true;
  });
  const prompts = base.prompts.filter((prompt) => {
    const route = base.promptRoutes.get(prompt.name);
    if (!route || !endpoint.prompt(prompt.name, route)) return false;
    if (!allowed.prompt(prompt.name, route)) {
      withheldPrompts.add(prompt.name);
      return false;
    }
    promptRoutes.set(prompt.name, route);
    return true;
  });
  const owners = templateOwners(base);
  const both = (uri: string, service: string) => endpoint.resource(uri, service) && allowed.resource(uri, service);
  const resourceOwner = (uri: string) => {
    const service = base.resourceOwner(uri);
    return service !== undefined && both(uri, service) ? service : undefined;
  };
  return {
    ...base,
    tools,
    routes,
    prompts,
    promptRoutes,
    resources: base.resources.filter((r) => resourceOwner(r.uri) !== undefined),
    resourceTemplates: base.resourceTemplates.filter((t) => {
      const service = owners.get(t.uriTemplate) ?? "";
      return endpoint.template(t.uriTemplate, service) && allowed.template(t.uriTemplate, service);
    }),
    resourceOwner,
    withheld: {
      tools: withheldTools,
      prompts: withheldPrompts,
      resource: (uri) => {
        const service = base.resourceOwner(uri);
        return service !== undefined && endpoint.resource(uri, service) && !allowed.resource(uri, service);
      },
      template: (uriTemplate) => {
        const service = owners.get(uriTemplate);
        return (
          service !== undefined && endpoint.template(uriTemplate, service) && !allowed.template(uriTemplate, service)
        );
      },
    },
  };
}

/** The service each listed template routes to: the first registered that has it (see resource-routes.ts). */
export function templateOwners(snapshot: CatalogSnapshot): Map<string, string> {
  const owners = new Map<string, string>();
  for (const service of snapshot.services)
    for (const t of service.resourceTemplates) if (!owners.has(t.uriTemplate)) owners.set(t.uriTemplate, service.name);
  return owners;
}

/** One test for several patterns: exact names or globs where `*` stands for any characters. */
function globs(patterns: readonly string[]): (value: string) => boolean {
  if (patterns.length === 0) return no;
  const escaped = patterns.map((p) => p.split("*").map(escapeRegExp).join(".*"));
  const pattern = new RegExp(`^(?:${escaped.join("|")})$`, "s");
  return (value) => pattern.test(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The SDK's matcher throws on URIs beyond its length limit; such a URI matches no template. */
function templateMatches(template: UriTemplate, uri: string): boolean {
  try {
    return template.match(uri) !== null;
  } catch {
    return false;
  }
}

function yes(): boolean {
  return true;
}

function no(): boolean {
  return false;
}
