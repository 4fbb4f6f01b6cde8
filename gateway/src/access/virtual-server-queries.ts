/**
 * Reads and writes of virtual servers. A server is one row; its name is unique, and a delete removes
 * the row (nothing refers to it, and the audit log keeps the history of who changed what).
 */
import { asc, eq, sql } from "drizzle-orm";
import type { Database } from "../registry/database.ts";
import { hasErrorCode } from "../registry/queries.ts";
import { virtualServers } from "../registry/schema.ts";

export type VirtualServerRecord = typeof virtualServers.$inferSelect;

/** Everything of a server a client sets; the rest (id, timestamps) the database keeps. */
export type VirtualServerFields = Omit<VirtualServerRecord, "id" | "createdAt" | "updatedAt">;

export class VirtualServerExistsError extends Error {
  constructor(readonly serverName: string) {
    super(`A virtual server named "${serverName}" already exists`);
    this.name = "VirtualServerExistsError";
  }
}

const UNIQUE_VIOLATION = "23505";

/** @throws VirtualServerExistsError when the name is taken. */
export async function insertVirtualServer(db: Database, fields: VirtualServerFields): Promise<VirtualServerRecord> {
  try {
    const [row] = await db.insert(virtualServers).values(fields).returning();
    if (!row) throw new Error("insert into virtual_servers returned no row");
    return row;
  } catch (error) {
    if (hasErrorCode(error, UNIQUE_VIOLATION)) throw new VirtualServerExistsError(fields.name);
    throw error;
  }
}

/** In creation order, so lists of them are stable. */
export function listVirtualServers(db: Database): Promise<VirtualServerRecord[]> {
  return db.select().from(virtualServers).orderBy(asc(virtualServers.createdAt), asc(virtualServers.id));
}

export async function findVirtualServer(db: Database, name: string): Promise<VirtualServerRecord | undefined> {
  const [row] = await db.select().from(virtualServers).where(eq(virtualServers.name, name));
  return row;
}

/** Replaces every field but the name. @returns undefined when no server has this name. */
export async function replaceVirtualServer(
  db: Database,
  name: string,
  fields: Omit<VirtualServerFields, "name">,
): Promise<VirtualServerRecord | undefined> {
  const [row] = await db
    .update(virtualServers)
    .set({ ...fields, updatedAt: sql`now()` })
    .where(eq(virtualServers.name, name))
    .returning();
  return row;
}

/** @returns false when no server has this name. */
export async function deleteVirtualServer(db: Database, name: string): Promise<boolean> {
  const rows = await db
    .delete(virtualServers)
    .where(eq(virtualServers.name, name))
    .returning({ id: virtualServers.id });
  return rows.length > 0;
}
