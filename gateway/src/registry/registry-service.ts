/**
 * The registry's write operations as the admin API and the bootstrap use them: discover a backend's
 * tools, resources and prompts, store them, then announce the change so every replica reloads its
 * catalog. A backend is reached by URL, or run from a command (a stdio backend) if the command is one
 * of STDIO_COMMANDS: registering one runs it on the gateway's host.
 */

import type { AuditEvent } from "../audit/audit-log.ts";
import type { DiscoveredCapabilities } from "../federation/discover-capabilities.ts";
import { isLoopRefusal } from "../federation/gateway-hop.ts";
import type { BackendTarget } from "../federation/mcp-connection.ts";
import { screenCapabilities } from "../federation/screen-definitions.ts";
import type { StdioLaunch } from "../federation/stdio-channel.ts";
import { HttpError } from "../http-error.ts";
import type { Logger } from "../logger.ts";
import type { BackendCredentials, HeaderMap } from "../security/backend-credentials.ts";
import { redactUrl, redactUrlsIn } from "../security/redact-url.ts";
import type { UrlPolicy } from "../security/url-policy.ts";
import type { Database } from "./database.ts";
import {
  type BackendRevision,
  findActiveService,
  insertService,
  listActiveServices,
  type RejectedDefinition,
  replaceServiceTools,
  type ServiceCapabilities,
  type ServiceEndpoint,
  ServiceExistsError,
  ServiceMovedError,
  type ServiceRecord,
  type StoredCapabilities,
  softDeleteService,
  storePulledLists,
} from "./queries.ts";

export interface RegistryServiceDeps {
  db: Database;
  /**
   * Lists a backend's tools, resources and prompts and finds out its MCP revision; throws when it
   * cannot be reached or does not speak MCP.
   */
  discover: (target: BackendTarget) => Promise<DiscoveredCapabilities>;
  credentials: BackendCredentials;
  urlPolicy: UrlPolicy;
  /** Commands a stdio backend may run (STDIO_COMMANDS); none: stdio backends are refused. */
  stdioCommands: readonly string[];
  /** Announces a committed change (bumps the registry version, reloads the local catalog). */
  announce: () => Promise<void>;
  /** Longest a request waits for the database before it is answered 503 (DB_QUERY_TIMEOUT_MS). */
  queryTimeoutMs: number;
  /** Told of the definitions a registration or refresh left out, when there are any. */
  onRejected?: (service: string, rejected: readonly RejectedDefinition[]) => void;
  /** Told after a service's lists were pulled again and stored, with the record before and after. */
  onRefreshed?: (previous: ServiceRecord, next: ServiceRecord) => Promise<void>;
  /** Told of every change, with summaries of the service before and after it. */
  audit?: { record(event: AuditEvent): void };
  log: Logger;
}

/** How a registration reaches its backend, with its secrets (headers, environment) in the clear. */
type EndpointInput = { url: string; headers?: HeaderMap } | StdioInput;

/** What `register` takes: a name and exactly one way to reach the backend. */
export type Registration = { name: string } & EndpointInput;

interface StdioInput {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** What an update may change; fields of the other kind than the stored one switch the service to it. */
export type EndpointChange = Partial<{ url: string; headers: HeaderMap } & StdioInput>;

type Endpoint = { url: string; headers: HeaderMap } | { stdio: StdioLaunch };

export interface RegisterResult {
  service: ServiceRecord;
  /** False when the same name and URL were already registered and only the tools were refreshed. */
  created: boolean;
}

export interface RegistryService {
  register(input: Registration): Promise<RegisterResult>;
  /**
   * Re-pulls the tools; the fields given replace the stored ones. Stored, audited and announced even when
   * nothing changed: an admin's update is also how every replica is made to reload.
   */
  update(name: string, input: EndpointChange): Promise<ServiceRecord>;
  /**
   * Pulls the lists again because the backend announced a change; stores, audits and announces them
   * only when they differ from the stored ones.
   * @returns whether they did.
   */
  refetch(name: string): Promise<boolean>;
  remove(name: string): Promise<void>;
  list(): Promise<ServiceRecord[]>;
}

export function createRegistryService(deps: RegistryServiceDeps): RegistryService {
  const { db, log, credentials } = deps;
  const storage = createStorageGuard(deps.queryTimeoutMs, log);
  /** What the audit log keeps of a service: its endpoint, counts and header names; never a secret. */
  const summary = (service: ServiceRecord) => ({
    ...(service.command ? { command: service.command.command } : { url: redactUrl(service.url ?? "") }),
    ...counts(service),
    headers: headerNames(service),
  });
  const headerNames = (service: ServiceRecord): string[] | undefined => {
    try {
      return Object.keys(credentials.open(service.secretHeaders)).sort();
    } catch {
      return undefined;
    }
  };
  const audit = (action: string, name: string, before?: ServiceRecord, after?: ServiceRecord) =>
    deps.audit?.record({
      kind: "admin",
      action: `service.${action}`,
      target: name,
      service: name,
      before: before && summary(before),
      after: after && summary(after),
    });

  const discover = async (name: string, endpoint: Endpoint): Promise<StoredCapabilities & BackendRevision> => {
    const target = await allowedTarget(name, endpoint);
    let listed: DiscoveredCapabilities;
    try {
      listed = await deps.discover(target);
    } catch (error) {
      if (isLoopRefusal(error)) {
        throw new HttpError(
          "bad_request",
          `${describe(endpoint)} is this gateway (or another replica of it): registering it as "${name}" would send every call back into the gateway`,
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpError(
        "bad_gateway",
        `Could not list the tools of "${name}" at ${describe(endpoint)}: ${redactUrlsIn(reason)}`,
      );
    }
    const capabilities = screenCapabilities(listed);
    if (capabilities.rejected.length > 0) {
      log.warn("service lists invalid definitions; serving the others", {
        service: name,
        at: describe(endpoint),
        rejected: capabilities.rejected,
      });
      deps.onRejected?.(name, capabilities.rejected);
    }
    return { ...capabilities, revision: listed.revision ?? null };
  };

  const allowedTarget = async (name: string, endpoint: Endpoint): Promise<BackendTarget> => {
    if ("stdio" in endpoint) {
      const { command } = endpoint.stdio;
      if (deps.stdioCommands.length === 0)
        throw new HttpError(
          "forbidden",
          "stdio backends are off on this gateway: it runs no commands unless STDIO_COMMANDS lists them",
        );
      if (!deps.stdioCommands.includes(command))
        throw new HttpError(
          "forbidden",
          `The gateway does not run "${command}": STDIO_COMMANDS allows only ${deps.stdioCommands.join(", ")}`,
        );
      return { name, stdio: endpoint.stdio };
    }
    const refused = await deps.urlPolicy.check(endpoint.url);
    if (refused)
      throw new HttpError("forbidden", `The gateway does not connect to ${redactUrl(endpoint.url)}: ${refused}`);
    return { name, url: endpoint.url, headers: credentials.headersFor(endpoint.headers) };
  };

  /** The stored form: secrets sealed, the other kind's fields cleared. */
  const stored = (endpoint: Endpoint): ServiceEndpoint => {
    if (!("stdio" in endpoint))
      return { url: endpoint.url, secretHeaders: credentials.seal(endpoint.headers), command: null, secretEnv: null };
    const { env, ...command } = endpoint.stdio;
    return {
      url: null,
      secretHeaders: null,
      command,
      secretEnv: credentials.seal(env, "the environment of a command"),
    };
  };

  const endpointOf = (record: ServiceRecord): Endpoint =>
    record.command
      ? { stdio: { ...record.command, env: credentials.open(record.secretEnv) } }
      : { url: record.url ?? "", headers: credentials.open(record.secretHeaders) };

  /**
   * Pulls the lists again and stores them with the endpoint. With `expectedUrl` they are stored only if
   * the service is still there: lists read from an address it has since moved away from must not undo
   * the move.
   */
  const refresh = async (
    previous: ServiceRecord,
    endpoint: Endpoint,
    action: "register" | "update",
    expectedUrl?: string,
  ): Promise<ServiceRecord> => {
    const { name } = previous;
    const sealed = stored(endpoint);
    const capabilities = await discover(name, endpoint);
    const service = await storage(() => replaceServiceTools(db, name, { ...sealed, expectedUrl, ...capabilities }));
    if (!service) throw notFound(name);
    await recordRefresh(previous, service, action, endpoint);
    return service;
  };

  const recordRefresh = async (
    previous: ServiceRecord,
    service: ServiceRecord,
    action: "register" | "update",
    endpoint: Endpoint,
  ) => {
    audit(action, service.name, previous, service);
    await deps.announce();
    log.info("service updated", { service: service.name, at: describe(endpoint), ...counts(service) });
    await deps.onRefreshed?.(previous, service);
  };

  return {
    // Registering the same name and endpoint again is a refresh, so scripts and the bootstrap can repeat
    // it safely (also when the repeats run at once); a different URL or command is a conflict that needs
    // an explicit update.
    async register({ name, ...input }) {
      const existing = await storage(() => findActiveService(db, name));
      if (existing) return { service: await refreshSame(existing, input), created: false };
      const endpoint = endpointFrom(input);
      const sealed = stored(endpoint);
      const capabilities = await discover(name, endpoint);
      try {
        const service = await storage(() => insertService(db, { name, ...sealed, ...capabilities }));
        audit("register", name, undefined, service);
        await deps.announce();
        log.info("service registered", { service: name, at: describe(endpoint), ...counts(capabilities) });
        return { service, created: true };
      } catch (error) {
        if (!(error instanceof ServiceExistsError)) throw error;
        // A concurrent registration of this name won; at the same endpoint this is a refresh after it.
        const winner = await storage(() => findActiveService(db, name));
        if (!winner) throw conflict(name);
        return { service: await refreshSame(winner, input), created: false };
      }
    },

    async update(name, change) {
      const existing = await storage(() => findActiveService(db, name));
      if (!existing) throw notFound(name);
      const endpoint = changed(endpointOf(existing), change);
      // An explicit new URL or command wins over whatever happened meanwhile; a refresh only holds where it looked.
      const explicit = change.url !== undefined || change.command !== undefined;
      return refresh(existing, endpoint, "update", explicit ? undefined : (existing.url ?? undefined));
    },

    async refetch(name) {
      const existing = await storage(() => findActiveService(db, name));
      if (!existing) throw notFound(name);
      const endpoint = endpointOf(existing);
      const capabilities = await discover(name, endpoint);
      const expectedUrl = existing.url ?? undefined;
      const pulled = await storage(() => storePulledLists(db, name, { expectedUrl, ...capabilities }));
      if (!pulled) throw notFound(name);
      if (!pulled.changed) return false;
      await recordRefresh(existing, pulled.service, "update", endpoint);
      return true;
    },

    async remove(name) {
      const existing = await storage(() => findActiveService(db, name));
      const removed = existing && (await storage(() => softDeleteService(db, name)));
      if (!removed) throw notFound(name);
      audit("delete", name, existing);
      await deps.announce();
      log.info("service deleted", { service: name });
    },

    list: () => storage(() => listActiveServices(db)),
  };

  // Registering the same name and endpoint again is a refresh, so scripts and the bootstrap can repeat
  // it safely; a different URL or command is a conflict that needs an explicit update.
  async function refreshSame(existing: ServiceRecord, input: EndpointInput): Promise<ServiceRecord> {
    const current = endpointOf(existing);
    const endpoint = endpointFrom(input, current);
    if (identity(current) !== identity(endpoint)) throw conflict(existing.name, describe(current));
    return refresh(existing, endpoint, "register", existing.url ?? undefined);
  }
}

/** The endpoint a registration names; secrets it leaves out are kept from `kept`, if of the same kind. */
function endpointFrom(input: EndpointInput, kept?: Endpoint): Endpoint {
  if ("url" in input)
    return { url: input.url, headers: input.headers ?? (kept && "headers" in kept ? kept.headers : {}) };
  return {
    stdio: {
      command: input.command,
      args: input.args ?? [],
      env: input.env ?? (kept && "stdio" in kept ? kept.stdio.env : {}),
      ...(input.cwd === undefined ? {} : { cwd: input.cwd }),
    },
  };
}

/** The stored endpoint with an update's fields in place; a URL or a command given switches kinds. */
function changed(current: Endpoint, change: EndpointChange): Endpoint {
  if (change.url !== undefined)
    return { url: change.url, headers: change.headers ?? ("headers" in current ? current.headers : {}) };
  if (change.command === undefined && !("stdio" in current)) {
    if (change.args || change.env || change.cwd !== undefined)
      throw new HttpError("bad_request", "args, env and cwd belong to a stdio service: give its command too");
    return { url: current.url, headers: change.headers ?? current.headers };
  }
  if (change.headers) throw new HttpError("bad_request", "headers belong to a URL service: give its url too");
  const before = "stdio" in current ? current.stdio : undefined;
  const cwd = change.cwd ?? before?.cwd;
  return {
    stdio: {
      command: change.command ?? before?.command ?? "",
      args: change.args ?? before?.args ?? [],
      env: change.env ?? before?.env ?? {},
      ...(cwd === undefined ? {} : { cwd }),
    },
  };
}

/** What names a service's backend: its URL, or its command line and directory (not its environment). */
function identity(endpoint: Endpoint): string {
  if (!("stdio" in endpoint)) return endpoint.url;
  const { command, args, cwd } = endpoint.stdio;
  return JSON.stringify([command, args, cwd ?? null]);
}

/** The endpoint as logs and messages show it: the URL without its secrets, or the command. */
function describe(endpoint: Endpoint): string {
  return "stdio" in endpoint ? `command "${endpoint.stdio.command}"` : redactUrl(endpoint.url);
}

function counts({ tools, resources, resourceTemplates, prompts }: ServiceCapabilities) {
  return {
    tools: tools.length,
    resources: resources.length,
    resourceTemplates: resourceTemplates.length,
    prompts: prompts.length,
  };
}

export function notFound(name: string): HttpError {
  return new HttpError("not_found", `No service named "${name}" is registered`);
}

function conflict(name: string, url?: string): HttpError {
  const where = url ? ` at ${redactUrl(url)}` : "";
  return new HttpError(
    "conflict",
    `A service named "${name}" is already registered${where}; use PUT /update/${name} to change it`,
  );
}

export type StorageGuard = <T>(query: () => Promise<T>) => Promise<T>;

/**
 * Runs registry queries so that a failing or silent database becomes a 503 the caller can retry: within
 * `timeoutMs`, even when the server hangs without closing its connections. The reply never carries the
 * driver's message, which holds the SQL text and its parameters (the log gets the driver's own error).
 */
export function createStorageGuard(timeoutMs: number, log: Logger): StorageGuard {
  return async <T>(query: () => Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseTimeout(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([query(), deadline]);
    } catch (error) {
      if (error instanceof ServiceMovedError) throw conflict(error.serviceName, error.currentUrl);
      if (error instanceof ServiceExistsError || error instanceof HttpError) throw error;
      log.error("registry database query failed", { error: driverError(error) });
      const why = error instanceof DatabaseTimeout ? `did not answer within ${timeoutMs} ms` : "is unavailable";
      throw new HttpError("service_unavailable", `The registry database ${why}; try again later`);
    } finally {
      clearTimeout(timer);
    }
  };
}

class DatabaseTimeout extends Error {
  constructor(ms: number) {
    super(`no answer from the registry database within ${ms} ms`);
  }
}

// Drizzle wraps the driver's error in one whose message repeats the query and its parameters.
function driverError(error: unknown): unknown {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current;
}
