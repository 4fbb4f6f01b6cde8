/**
 * Where a resources/read goes. Resources keep the URIs their services gave them (a URI is the
 * resource's identity, so it cannot be renamed the way a clashing tool is):
 *
 * - a listed URI goes to the service that listed it; when several services list the same URI, the
 *   earliest registered keeps it and the later duplicates are neither listed nor reachable, so what a
 *   URI reads never changes when a service registers;
 * - any other URI goes to the first service, in registration order, with a template that matches it.
 *   Templates are listed once per distinct `uriTemplate`, by the same first-registered rule.
 */
import { UriTemplate } from "@modelcontextprotocol/server";
import type { ResourceDefinition, ResourceTemplateDefinition, ServiceRecord } from "../registry/queries.ts";

export interface ResourceRoutes {
  resources: readonly ResourceDefinition[];
  resourceTemplates: readonly ResourceTemplateDefinition[];
  /** The service a resources/read of `uri` goes to, or undefined when no service serves it. */
  resourceOwner(uri: string): string | undefined;
}

interface TemplateRoute {
  template: UriTemplate;
  service: string;
}

export function buildResourceRoutes(services: readonly ServiceRecord[]): ResourceRoutes {
  const owners = new Map<string, string>();
  const resources: ResourceDefinition[] = [];
  const templateRoutes: TemplateRoute[] = [];
  const listedTemplates = new Set<string>();
  const resourceTemplates: ResourceTemplateDefinition[] = [];
  for (const service of services) {
    for (const resource of service.resources) {
      if (owners.has(resource.uri)) continue;
      owners.set(resource.uri, service.name);
      resources.push(resource);
    }
    for (const definition of service.resourceTemplates) {
      if (listedTemplates.has(definition.uriTemplate)) continue;
      const template = parseTemplate(definition.uriTemplate);
      // A template the SDK cannot parse could never route a read, so listing it would only mislead.
      if (!template) continue;
      listedTemplates.add(definition.uriTemplate);
      templateRoutes.push({ template, service: service.name });
      resourceTemplates.push(definition);
    }
  }
  return {
    resources,
    resourceTemplates,
    resourceOwner: (uri) => owners.get(uri) ?? templateRoutes.find((route) => matches(route.template, uri))?.service,
  };
}

function parseTemplate(uriTemplate: string): UriTemplate | undefined {
  try {
    return new UriTemplate(uriTemplate);
  } catch {
    return undefined;
  }
}

/** The SDK's matcher throws on URIs beyond its length limit; such a URI matches no template. */
function matches(template: UriTemplate, uri: string): boolean {
  try {
    return template.match(uri) !== null;
  } catch {
    return false;
  }
}
