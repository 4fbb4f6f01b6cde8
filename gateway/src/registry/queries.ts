/**
 * Registry reads and writes. Services are soft-deleted: a row with deleted_at set is history, and at most one
 * active service per name and one active tool row per service exist, which the partial unique indexes enforce.
 * Every write that touches both tables runs in one transaction so no reader sees a service without its tools.
 */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "./database.ts";
import {
  type PromptDefinition,
  type ResourceDefinition,
  type ResourceTemplateDefinition,
  type StdioCommand,
  services,
  serviceTools,
  type ToolDefinition,
} from "./schema.ts";

export type { PromptDefinition, ResourceDefinition, ResourceTemplateDefinition, StdioCommand, ToolDefinition };

/** Everything a backend listed at discovery, stored together in its service_tools row. */
export interface ServiceCapabilities {
  tools: ToolDefinition[];
  resources: ResourceDefinition[];
  resourceTemplates: ResourceTemplateDefinition[];
  prompts: PromptDefinition[];
}

/** What a write stores: the tools, and the other lists when the backend has them (stored as [] otherwise). */
export type CapabilitiesInput = Pick<ServiceCapabilities, "tools"> & Partial<ServiceCapabilities>;

/**
 * How the gateway reaches a service: exactly one of `url` (HTTP, with its sealed headers) and `command`
 * (stdio, with its sealed environment).
 */
export interface ServiceEndpoint {
  url: string | null;
  secretHeaders: string | null;
  command: StdioCommand | null;
  secretEnv: string | null;
}

export interface ServiceRecord extends ServiceCapabilities, ServiceEndpoint {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export class ServiceExistsError extends Error {
  constructor(readonly serviceName: string) {
    super(`A service named "${serviceName}" is already registered`);
    this.name = "ServiceExistsError";
  }
}

const UNIQUE_VIOLATION = "23505";

/** @throws ServiceExistsError when an active service already has this name. */
export async function insertService(
  db: Database,
  input: { name: string } & Pick<ServiceEndpoint, "url"> & Partial<ServiceEndpoint> & CapabilitiesInput,
): Promise<ServiceRecord> {
  try {
    return await db.transaction(async (tx) => {
      const [service] = await tx
        .insert(services)
        .values({
          name: input.name,
          url: input.url,
          secretHeaders: input.secretHeaders ?? null,
          command: input.command ?? null,
          secretEnv: input.secretEnv ?? null,
        })
        .returning();
      if (!service) throw new Error("insert into services returned no row");
      const capabilities = completeCapabilities(input);
      await tx.insert(serviceTools).values({ serviceId: service.id, ...capabilities });
      return toRecord(service, capabilities);
    });
  } catch (error) {
    if (hasErrorCode(error, UNIQUE_VIOLATION)) throw new ServiceExistsError(input.name);
    throw error;
  }
}

export async function findActiveService(db: Database, name: string): Promise<ServiceRecord | undefined> {
  const [record] = await selectActiveServices(db).where(and(isNull(services.deletedAt), eq(services.name, name)));
  return record;
}

/**
 * Swaps in fresh lists (after a backend re-registers or changes its tools), keeping the old row as history.
 * The endpoint's fields are changed only when given; null clears one.
 * @returns undefined when no active service has this name.
 */
export async function replaceServiceTools(
  db: Database,
  name: string,
  input: Partial<ServiceEndpoint> & CapabilitiesInput,
): Promise<ServiceRecord | undefined> {
  return db.transaction(async (tx) => {
    // Updating the service row first locks it, so concurrent replacements and deletions of this service queue up.
    const [service] = await tx
      .update(services)
      .set({
        url: input.url,
        secretHeaders: input.secretHeaders,
        command: input.command,
        secretEnv: input.secretEnv,
        updatedAt: sql`now()`,
      })
      .where(and(eq(services.name, name), isNull(services.deletedAt)))
      .returning();
    if (!service) return undefined;
    await tx
      .update(serviceTools)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(serviceTools.serviceId, service.id), isNull(serviceTools.deletedAt)));
    const capabilities = completeCapabilities(input);
    await tx.insert(serviceTools).values({ serviceId: service.id, ...capabilities });
    return toRecord(service, capabilities);
  });
}

/** @returns false when no active service has this name. */
export async function softDeleteService(db: Database, name: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [service] = await tx
      .update(services)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(services.name, name), isNull(services.deletedAt)))
      .returning({ id: services.id });
    if (!service) return false;
    await tx
      .update(serviceTools)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(serviceTools.serviceId, service.id), isNull(serviceTools.deletedAt)));
    return true;
  });
}

/** Oldest registration first: when two services expose a tool of the same name, the order decides who keeps it. */
export async function listActiveServices(db: Database): Promise<ServiceRecord[]> {
  return selectActiveServices(db).where(isNull(services.deletedAt)).orderBy(asc(services.createdAt), asc(services.id));
}

function selectActiveServices(db: Database) {
  return db
    .select({
      id: services.id,
      name: services.name,
      url: services.url,
      tools: serviceTools.tools,
      resources: serviceTools.resources,
      resourceTemplates: serviceTools.resourceTemplates,
      prompts: serviceTools.prompts,
      secretHeaders: services.secretHeaders,
      command: services.command,
      secretEnv: services.secretEnv,
      createdAt: services.createdAt,
      updatedAt: services.updatedAt,
    })
    .from(services)
    .innerJoin(serviceTools, and(eq(serviceTools.serviceId, services.id), isNull(serviceTools.deletedAt)));
}

function completeCapabilities(input: CapabilitiesInput): ServiceCapabilities {
  return {
    tools: input.tools,
    resources: input.resources ?? [],
    resourceTemplates: input.resourceTemplates ?? [],
    prompts: input.prompts ?? [],
  };
}

function toRecord(service: typeof services.$inferSelect, capabilities: ServiceCapabilities): ServiceRecord {
  return {
    id: service.id,
    name: service.name,
    url: service.url,
    ...capabilities,
    secretHeaders: service.secretHeaders,
    command: service.command,
    secretEnv: service.secretEnv,
    createdAt: service.createdAt,
    updatedAt: service.updatedAt,
  };
}

// Drizzle wraps driver errors (postgres.js PostgresError, PGlite DatabaseError), both of which carry the SQLSTATE.
export function hasErrorCode(error: unknown, code: string): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ("code" in current && current.code === code) return true;
  }
  return false;
}
