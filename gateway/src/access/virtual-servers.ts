/**
 * The virtual servers' write operations as the admin API uses them: store the change, then announce it
 * so that every replica reloads its catalog, virtual servers included.
 */

import type { AuditEvent } from "../audit/audit-log.ts";
import { HttpError } from "../http-error.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../registry/database.ts";
import {
  deleteVirtualServer,
  findVirtualServer,
  insertVirtualServer,
  listVirtualServers,
  replaceVirtualServer,
  VirtualServerExistsError,
  type VirtualServerFields,
  type VirtualServerRecord,
} from "./virtual-server-queries.ts";

export interface VirtualServers {
  create(fields: VirtualServerFields): Promise<VirtualServerRecord>;
  list(): Promise<VirtualServerRecord[]>;
  get(name: string): Promise<VirtualServerRecord>;
  replace(name: string, fields: Omit<VirtualServerFields, "name">): Promise<VirtualServerRecord>;
  remove(name: string): Promise<void>;
}

export interface VirtualServersDeps {
  db: Database;
  /** Announces a committed change (bumps the registry version, reloads the local catalog). */
  announce: () => Promise<void>;
  log: Logger;
  /** Where each change is recorded, with the server before and after (a selection holds no secret). */
  audit?: { record(event: AuditEvent): void };
}

export function createVirtualServers({ db, announce, log, audit }: VirtualServersDeps): VirtualServers {
  const record = (action: string, name: string, before?: VirtualServerRecord, after?: VirtualServerRecord) =>
    audit?.record({
      kind: "admin",
      action: `virtual-server.${action}`,
      target: name,
      before: before && { ...before },
      after: after && { ...after },
    });
  return {
    async create(fields) {
      const server = await storage(() => insertVirtualServer(db, fields));
      await announce();
      log.info("virtual server created", { virtualServer: server.name });
      record("create", server.name, undefined, server);
      return server;
    },
    list: () => storage(() => listVirtualServers(db)),
    async get(name) {
      const server = await storage(() => findVirtualServer(db, name));
      if (!server) throw notFound(name);
      return server;
    },
    async replace(name, fields) {
      const before = await storage(() => findVirtualServer(db, name));
      const server = await storage(() => replaceVirtualServer(db, name, fields));
      if (!server) throw notFound(name);
      await announce();
      log.info("virtual server updated", { virtualServer: name });
      record("update", name, before, server);
      return server;
    },
    async remove(name) {
      const before = await storage(() => findVirtualServer(db, name));
      if (!(await storage(() => deleteVirtualServer(db, name)))) throw notFound(name);
      await announce();
      log.info("virtual server deleted", { virtualServer: name });
      record("delete", name, before);
    },
  };
}

function notFound(name: string): HttpError {
  return new HttpError("not_found", `No virtual server named "${name}" exists`);
}

/** Runs a query; a taken name is a conflict, a failure of the database itself a 503 the caller can retry. */
async function storage<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof VirtualServerExistsError) {
      const { serverName } = error;
      throw new HttpError(
        "conflict",
        `A virtual server named "${serverName}" already exists; use PUT /virtual-servers/${serverName} to change it`,
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError("service_unavailable", `The registry database is unavailable, try again later (${reason})`);
  }
}
