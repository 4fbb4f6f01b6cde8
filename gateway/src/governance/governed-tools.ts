/**
 * Applies a service's governance to the tools its backend listed: pinned definitions that changed are
 * held back or flagged, overrides rename and reword tools and fix or default their arguments, and each
 * tool's limits are resolved. Runs when the catalog is built, so calls only read the result.
 */
import { createHash } from "node:crypto";
import type { ToolRoute } from "../catalog/catalog-snapshot.ts";
import type { ServiceRecord, ToolDefinition } from "../registry/queries.ts";
import type { ToolLimits, ToolOverride } from "./tool-governance.ts";

export interface ServiceGovernance {
  /** Overrides by the backend's name of the tool. */
  overrides: ReadonlyMap<string, ToolOverride>;
  /** Approved definition hashes by the backend's name of the tool. */
  pins: ReadonlyMap<string, string>;
}

export const NO_GOVERNANCE: ServiceGovernance = { overrides: new Map(), pins: new Map() };

export interface PendingTool {
  /** The backend's name of the tool. */
  tool: string;
  /** Hash of the definition the backend lists now; approving the tool approves this one. */
  hash: string;
  /** `new`: never approved; `changed`: its approved definition was different. */
  reason: "new" | "changed";
}

export interface GovernedTool {
  definition: ToolDefinition;
  route: ToolRoute;
}

/**
 * The tools of `service` as clients see them, each with its route, in the backend's order. Tools that
 * are hidden, or held for approval, are left out.
 */
export function governTools(service: ServiceRecord, governance: ServiceGovernance): GovernedTool[] {
  const held = service.pinMode === "hold" ? new Set(pendingTools(service, governance).map((p) => p.tool)) : undefined;
  const governed: GovernedTool[] = [];
  for (const definition of service.tools) {
    if (held?.has(definition.name)) continue;
    const override = governance.overrides.get(definition.name);
    if (override?.hidden) continue;
    governed.push({
      definition: override ? overridden(definition, override) : definition,
      route: routeOf(service, definition.name, override),
    });
  }
  return governed;
}

/** The tools whose definition is not the approved one; none while pinning is off. */
export function pendingTools(service: ServiceRecord, { pins }: ServiceGovernance): PendingTool[] {
  if (service.pinMode === "off") return [];
  const pending: PendingTool[] = [];
  for (const definition of service.tools) {
    const hash = definitionHash(definition);
    const approved = pins.get(definition.name);
    if (approved !== hash) pending.push({ tool: definition.name, hash, reason: approved ? "changed" : "new" });
  }
  return pending;
}

/** SHA-256 of the definition's JSON with keys sorted, so a backend reordering keys changes nothing. */
export function definitionHash(definition: ToolDefinition): string {
  return createHash("sha256").update(canonicalJson(definition)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function routeOf(service: ServiceRecord, tool: string, override: ToolOverride | undefined): ToolRoute {
  const limits: ToolLimits = { ...service.limits, ...override?.limits };
  return {
    service: service.name,
    tool,
    name: override?.name ?? tool,
    ...(override?.fixedArguments ? { fixedArguments: override.fixedArguments } : {}),
    ...(override?.defaultArguments ? { defaultArguments: override.defaultArguments } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

function overridden(definition: ToolDefinition, override: ToolOverride): ToolDefinition {
  const { name, title, description, annotations, fixedArguments, defaultArguments } = override;
  const next: ToolDefinition = { ...definition };
  if (name !== undefined) next.name = name;
  if (title !== undefined) next.title = title;
  if (description !== undefined) next.description = description;
  if (annotations !== undefined) next.annotations = { ...asObject(definition.annotations), ...annotations };
  if (fixedArguments || defaultArguments)
    next.inputSchema = governedSchema(definition.inputSchema, fixedArguments ?? {}, defaultArguments ?? {});
  return next;
}

/**
 * The input schema without the fixed arguments (clients cannot set them) and with the defaults shown as
 * such; neither kind stays required, since the gateway supplies both.
 */
function governedSchema(
  schema: unknown,
  fixed: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const base = asObject(schema);
  const properties: Record<string, unknown> = { ...asObject(base.properties) };
  for (const key of Object.keys(fixed)) delete properties[key];
  for (const [key, value] of Object.entries(defaults))
    if (Object.hasOwn(properties, key)) properties[key] = { ...asObject(properties[key]), default: value };
  const next: Record<string, unknown> = { ...base, properties };
  if (Array.isArray(base.required))
    next.required = base.required.filter(
      (key: unknown) => typeof key !== "string" || !(Object.hasOwn(fixed, key) || Object.hasOwn(defaults, key)),
    );
  return next;
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
