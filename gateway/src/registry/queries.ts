/**
 * Registry reads and writes. Services are soft-deleted: a row with deleted_at set is history, and at most one
 * active service per name and one active tool row per service exist, which the partial unique indexes enforce.
 * Every write that touches both tables runs in one transaction so no reader sees a service without its tools,
 * and bumps the change count in that same transaction (see registryChanges).
 */
import { and, asc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { PinMode, ToolLimits } from "../governance/tool-governance.ts";
import type { Database } from "./database.ts";
import {
  type PromptDefinition,
  type RejectedDefinition,
  type ResourceDefinition,
  type ResourceTemplateDefinition,
  registryChanges,
  type StdioCommand,
  services,
  serviceTools,
  type ToolDefinition,
} from "./schema.ts";

export type {
  PromptDefinition,
  RejectedDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
  StdioCommand,
  ToolDefinition,
};

/** Everything a backend listed at discovery, stored together in its service_tools row. */
export interface ServiceCapabilities {
  tools: ToolDefinition[];
  resources: ResourceDefinition[];
  resourceTemplates: ResourceTemplateDefinition[];
  prompts: PromptDefinition[];
}

/** The lists as stored: what the gateway serves, and what it left out of them. */
export interface StoredCapabilities extends ServiceCapabilities {
  rejected: RejectedDefinition[];
  /** The backend takes `resources/subscribe` (and sends `notifications/resources/updated`). */
  resourceSubscribe: boolean;
}

/** What a write stores: the tools, and the rest when there is any (stored as [] otherwise). */
export type CapabilitiesInput = Pick<StoredCapabilities, "tools"> & Partial<StoredCapabilities>;

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

/** The MCP revision a backend speaks, as discovery found it; null when not known. */
export interface BackendRevision {
  revision: string | null;
}

export interface ServiceRecord extends StoredCapabilities, ServiceEndpoint, BackendRevision {
  id: string;
  name: string;
  pinMode: PinMode;
  /** Limits for all its tools, where a tool's override sets none; null for the gateway's. */
  limits: ToolLimits | null;
  createdAt: Date;
  updatedAt: Date;
}

export class ServiceExistsError extends Error {
  constructor(readonly serviceName: string) {
    super(`A service named "${serviceName}" is already registered`);
    this.name = "ServiceExistsError";
  }
}

/** A conditional write found the service at another URL than the one it was told to expect. */
export class ServiceMovedError extends Error {
  constructor(
    readonly serviceName: string,
    readonly currentUrl: string,
  ) {
    super(`The service "${serviceName}" is now registered at ${currentUrl}`);
    this.name = "ServiceMovedError";
  }
}

const UNIQUE_VIOLATION = "23505";

/** @throws ServiceExistsError when an active service already has this name. */
export async function insertService(
  db: Database,
  input: { name: string } & Pick<ServiceEndpoint, "url"> &
    Partial<ServiceEndpoint> &
    Partial<BackendRevision> &
    CapabilitiesInput,
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
          revision: input.revision ?? null,
        })
        .returning();
      if (!service) throw new Error("insert into services returned no row");
      const capabilities = completeCapabilities(input);
      await tx.insert(serviceTools).values({ serviceId: service.id, ...capabilities });
      await countChange(tx);
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
 * The endpoint's fields are changed only when given; null clears one. With `expectedUrl`, the write
 * happens only if the service is still at that URL, checked under the row lock, so lists discovered at
 * an address the service has since left never overwrite a move.
 * @returns undefined when no active service has this name.
 * @throws ServiceMovedError when the service is active but not at `expectedUrl`.
 */
export async function replaceServiceTools(
  db: Database,
  name: string,
  input: ListsReplacement,
): Promise<ServiceRecord | undefined> {
  return db.transaction((tx) => swapLists(tx, name, input));
}

/**
 * Stores the lists (and revision) pulled again from a service's backend, unless they are what is stored
 * already: then nothing is written and no change is counted, so no replica reloads for a backend that
 * announced a change it did not make. The endpoint stays as stored; `expectedUrl` is as for
 * replaceServiceTools.
 * @returns undefined when no active service has this name; else whether the lists were written (and then
 *   the record as written).
 * @throws ServiceMovedError when the service is active but not at `expectedUrl`.
 */
export async function storePulledLists(
  db: Database,
  name: string,
  input: BackendRevision & { expectedUrl?: string } & CapabilitiesInput,
): Promise<{ changed: false } | { changed: true; service: ServiceRecord } | undefined> {
  return db.transaction(async (tx) => {
    // Locked as the write below would lock it, so no other write lands between the comparison and the commit.
    const [stored] = await tx
      .select({ same: sameLists(input) })
      .from(services)
      .innerJoin(serviceTools, and(eq(serviceTools.serviceId, services.id), isNull(serviceTools.deletedAt)))
      .where(and(activeNamed(name), urlIs(input.expectedUrl)))
      .for("update", { of: services });
    if (stored?.same) return { changed: false };
    const service = await swapLists(tx, name, input);
    return service && { changed: true, service };
  });
}

type ListsReplacement = Partial<ServiceEndpoint> &
  Partial<BackendRevision> & { expectedUrl?: string } & CapabilitiesInput;

async function swapLists(tx: Database, name: string, input: ListsReplacement): Promise<ServiceRecord | undefined> {
  const active = activeNamed(name);
  // Updating the service row first locks it, so concurrent replacements and deletions of this service queue up.
  const [service] = await tx
    .update(services)
    .set({
      url: input.url,
      secretHeaders: input.secretHeaders,
      command: input.command,
      secretEnv: input.secretEnv,
      revision: input.revision,
      updatedAt: sql`now()`,
    })
    .where(and(active, urlIs(input.expectedUrl)))
    .returning();
  if (!service) {
    if (input.expectedUrl === undefined) return undefined;
    const [moved] = await tx.select({ url: services.url }).from(services).where(active);
    if (moved) throw new ServiceMovedError(name, moved.url ?? "a command");
    return undefined;
  }
  await tx
    .update(serviceTools)
    .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(serviceTools.serviceId, service.id), isNull(serviceTools.deletedAt)));
  const capabilities = completeCapabilities(input);
  await tx.insert(serviceTools).values({ serviceId: service.id, ...capabilities });
  await countChange(tx);
  return toRecord(service, capabilities);
}

const activeNamed = (name: string) => and(eq(services.name, name), isNull(services.deletedAt));

/** No condition when no URL is expected. */
const urlIs = (url: string | undefined) => (url === undefined ? undefined : eq(services.url, url));

/**
 * Whether the stored lists and revision are the pulled ones. Compared as jsonb, by the database: key order
 * and number spelling do not count, as they do not once stored, and the lists (megabytes for thousands of
 * tools) are neither read back nor walked in JavaScript.
 */
function sameLists(pulled: BackendRevision & CapabilitiesInput): SQL<boolean> {
  const next = completeCapabilities(pulled);
  const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
  return sql<boolean>`(${services.revision} is not distinct from ${pulled.revision}
    and ${serviceTools.resourceSubscribe} = ${next.resourceSubscribe}
    and ${serviceTools.tools} = ${json(next.tools)}
    and ${serviceTools.resources} = ${json(next.resources)}
    and ${serviceTools.resourceTemplates} = ${json(next.resourceTemplates)}
    and ${serviceTools.prompts} = ${json(next.prompts)}
    and ${serviceTools.rejected} = ${json(next.rejected)})`;
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
    await countChange(tx);
    return true;
  });
}

/** How many registry writes have committed; 0 before the first. */
export async function readChangeCount(db: Database): Promise<number> {
  const [row] = await db.select({ count: registryChanges.count }).from(registryChanges);
  return row?.count ?? 0;
}

// The upsert takes the counter row's lock until commit, so the count a reader sees always includes the
// writes it describes: a sequence would move before its transaction commits.
async function countChange(tx: Database): Promise<void> {
  await tx
    .insert(registryChanges)
    .values({ id: 1, count: 1 })
    .onConflictDoUpdate({ target: registryChanges.id, set: { count: sql`${registryChanges.count} + 1` } });
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
      rejected: serviceTools.rejected,
      resourceSubscribe: serviceTools.resourceSubscribe,
      secretHeaders: services.secretHeaders,
      pinMode: services.pinMode,
      limits: services.limits,
      command: services.command,
      secretEnv: services.secretEnv,
      revision: services.revision,
      createdAt: services.createdAt,
      updatedAt: services.updatedAt,
    })
    .from(services)
    .innerJoin(serviceTools, and(eq(serviceTools.serviceId, services.id), isNull(serviceTools.deletedAt)));
}

function completeCapabilities(input: CapabilitiesInput): StoredCapabilities {
  return {
    tools: input.tools,
    resources: input.resources ?? [],
    resourceTemplates: input.resourceTemplates ?? [],
    prompts: input.prompts ?? [],
    rejected: input.rejected ?? [],
    resourceSubscribe: input.resourceSubscribe ?? false,
  };
}

function toRecord(service: typeof services.$inferSelect, capabilities: StoredCapabilities): ServiceRecord {
  return {
    id: service.id,
    name: service.name,
    url: service.url,
    ...capabilities,
    secretHeaders: service.secretHeaders,
    pinMode: service.pinMode,
    limits: service.limits,
    command: service.command,
    secretEnv: service.secretEnv,
    revision: service.revision,
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
