import { isNull } from "drizzle-orm";
import { bigint, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** A backend's MCP tool exactly as its tools/list returned it; the gateway passes it through untouched. */
export type ToolDefinition = { name: string; [key: string]: unknown };

/** A backend's resource exactly as its resources/list returned it. */
export type ResourceDefinition = { uri: string; [key: string]: unknown };

/** A backend's resource template exactly as its resources/templates/list returned it. */
export type ResourceTemplateDefinition = { uriTemplate: string; [key: string]: unknown };

/** A backend's prompt exactly as its prompts/list returned it. */
export type PromptDefinition = { name: string; [key: string]: unknown };

/** A definition a backend listed that the gateway does not serve, and why; shown in the service list. */
export type RejectedDefinition = {
  kind: "tool" | "resource" | "resourceTemplate" | "prompt";
  /** The name (or URI) as the backend sent it, quoted and shortened so it is safe to show. */
  name: string;
  reason: string;
};

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
};

// Rows are soft-deleted, so uniqueness only holds among the active ones: a deleted name can be registered again.
export const services = pgTable(
  "services",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    /** Backend credentials, stored encrypted; never logged. */
    secretHeaders: text("secret_headers"),
    ...timestamps,
  },
  (table) => [uniqueIndex("services_active_name_key").on(table.name).where(isNull(table.deletedAt))],
);

export const serviceTools = pgTable(
  "service_tools",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serviceId: uuid("service_id")
      .notNull()
      .references(() => services.id),
    tools: jsonb("tools").$type<ToolDefinition[]>().notNull(),
    // Added after tools; rows written before then (and backends without the capability) hold [].
    resources: jsonb("resources").$type<ResourceDefinition[]>().notNull().default([]),
    resourceTemplates: jsonb("resource_templates").$type<ResourceTemplateDefinition[]>().notNull().default([]),
    prompts: jsonb("prompts").$type<PromptDefinition[]>().notNull().default([]),
    rejected: jsonb("rejected").$type<RejectedDefinition[]>().notNull().default([]),
    ...timestamps,
  },
  (table) => [uniqueIndex("service_tools_active_service_key").on(table.serviceId).where(isNull(table.deletedAt))],
);

/**
 * One row counting committed registry writes. Every write transaction bumps it, so a replica that
 * compares it with the count its catalog was loaded at knows whether it missed a change (when the
 * version store lost an announcement), with one cheap read.
 */
export const registryChanges = pgTable("registry_changes", {
  id: integer("id").primaryKey(),
  count: bigint("count", { mode: "number" }).notNull(),
});
