import { isNull, sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { PinMode, ToolLimits, ToolOverride } from "../governance/tool-governance.ts";

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

export type VirtualServerMode = "direct" | "search";
/** What a stdio backend runs, without its environment (which is stored sealed, beside it). */
export type StdioCommand = { command: string; args: string[]; cwd?: string };

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
    /** An HTTP backend's URL; null for a stdio backend, which has a command instead. */
    url: text("url"),
    /** Backend credentials, stored encrypted; never logged. */
    secretHeaders: text("secret_headers"),
    /** Whether changed tool definitions are served (`off`), served and flagged (`warn`) or held for approval (`hold`). */
    pinMode: text("pin_mode").$type<PinMode>().notNull().default("off"),
    /** Limits for every tool of the service, where a tool's own override sets none. */
    limits: jsonb("limits").$type<ToolLimits>(),
    /** A stdio backend's command, run by every replica. */
    command: jsonb("command").$type<StdioCommand>(),
    /** A stdio backend's environment variables, stored encrypted like headers; never shown. */
    secretEnv: text("secret_env"),
    /**
     * The MCP revision the backend was found to speak at its last discovery (`2026-07-28`, or the 2025
     * version `initialize` agreed on); null for rows older than the column, and for stdio backends.
     */
    revision: text("revision"),
    ...timestamps,
  },
  (table) => [
    uniqueIndex("services_active_name_key").on(table.name).where(isNull(table.deletedAt)),
    check("services_url_or_command", sql`(${table.url} IS NULL) <> (${table.command} IS NULL)`),
  ],
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
    /** Whether the backend's initialize result offered `resources.subscribe`. */
    resourceSubscribe: boolean("resource_subscribe").notNull().default(false),
    ...timestamps,
  },
  (table) => [uniqueIndex("service_tools_active_service_key").on(table.serviceId).where(isNull(table.deletedAt))],
);

/**
 * A named selection of the catalog served at /servers/<name>/mcp, and who may use it. Selections are
 * patterns (exact names or `*` globs), resolved against the catalog when it loads, so a server keeps
 * following the services it names as they change.
 */
export const virtualServers = pgTable("virtual_servers", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique("virtual_servers_name_key"),
  description: text("description"),
  services: jsonb("services").$type<string[]>().notNull().default([]),
  tools: jsonb("tools").$type<string[]>().notNull().default([]),
  resources: jsonb("resources").$type<string[]>().notNull().default([]),
  prompts: jsonb("prompts").$type<string[]>().notNull().default([]),
  allowedScopes: jsonb("allowed_scopes").$type<string[]>().notNull().default([]),
  allowedRoles: jsonb("allowed_roles").$type<string[]>().notNull().default([]),
  /** "direct" lists the selected tools; "search" lists only search_tools and call_tool over them. */
  mode: text("mode").$type<VirtualServerMode>().notNull().default("direct"),
  createdAt: timestamps.createdAt,
  updatedAt: timestamps.updatedAt,
});

/** What an admin changed about one tool of a service, keyed by the backend's own name of the tool. */
export const toolOverrides = pgTable(
  "tool_overrides",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serviceId: uuid("service_id")
      .notNull()
      .references(() => services.id),
    tool: text("tool").notNull(),
    override: jsonb("override").$type<ToolOverride>().notNull(),
    createdAt: timestamps.createdAt,
    updatedAt: timestamps.updatedAt,
  },
  (table) => [unique("tool_overrides_service_tool_key").on(table.serviceId, table.tool)],
);

/** The hash of each tool definition an admin approved, against which refreshed definitions are checked. */
export const toolPins = pgTable(
  "tool_pins",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serviceId: uuid("service_id")
      .notNull()
      .references(() => services.id),
    tool: text("tool").notNull(),
    hash: text("hash").notNull(),
    approvedAt: timestamp("approved_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [unique("tool_pins_service_tool_key").on(table.serviceId, table.tool)],
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
