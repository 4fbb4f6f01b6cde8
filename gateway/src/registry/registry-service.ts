/**
 * The registry's write operations as the admin API and the bootstrap use them: discover a backend's
 * tools, resources and prompts, store them, then announce the change so every replica reloads its
 * catalog.
 */
import type { AuditEvent } from "../audit/audit-log.ts";
import { isLoopRefusal } from "../federation/gateway-hop.ts";
import type { BackendTarget } from "../federation/mcp-connection.ts";
import { type ListedCapabilities, screenCapabilities } from "../federation/screen-definitions.ts";
import { HttpError } from "../http-error.ts";
import type { Logger } from "../logger.ts";
import type { BackendCredentials, HeaderMap } from "../security/backend-credentials.ts";
import { redactUrl } from "../security/redact-url.ts";
import type { UrlPolicy } from "../security/url-policy.ts";
import type { Database } from "./database.ts";
import {
  findActiveService,
  insertService,
  listActiveServices,
  type RejectedDefinition,
  replaceServiceTools,
  type ServiceCapabilities,
  ServiceExistsError,
  ServiceMovedError,
  type ServiceRecord,
  type StoredCapabilities,
  softDeleteService,
} from "./queries.ts";

export interface RegistryServiceDeps {
  db: Database;
  /** Lists a backend's tools, resources and prompts; throws when it cannot be reached or does not speak MCP. */
  discover: (target: BackendTarget) => Promise<ListedCapabilities>;
  credentials: BackendCredentials;
  urlPolicy: UrlPolicy;
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

export interface RegisterResult {
  service: ServiceRecord;
  /** False when the same name and URL were already registered and only the tools were refreshed. */
  created: boolean;
}

export interface RegistryService {
  register(input: { name: string; url: string; headers?: HeaderMap }): Promise<RegisterResult>;
  /** Re-pulls the tools; `url` and `headers` replace the stored ones when given. */
  update(name: string, input: { url?: string; headers?: HeaderMap }): Promise<ServiceRecord>;
  remove(name: string): Promise<void>;
  list(): Promise<ServiceRecord[]>;
}

export function createRegistryService(deps: RegistryServiceDeps): RegistryService {
  const { db, log, credentials } = deps;
  const storage = createStorageGuard(deps.queryTimeoutMs, log);
  const seal = (headers: HeaderMap | undefined) => (headers === undefined ? undefined : credentials.seal(headers));
  /** What the audit log keeps of a service: its URL, counts and header names; never the header values. */
  const summary = (service: ServiceRecord) => ({
    url: redactUrl(service.url),
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

  const discover = async (name: string, url: string, headers: HeaderMap): Promise<StoredCapabilities> => {
    const refused = await deps.urlPolicy.check(url);
    if (refused) throw new HttpError("forbidden", `The gateway does not connect to ${redactUrl(url)}: ${refused}`);
    let listed: ListedCapabilities;
    try {
      listed = await deps.discover({ name, url, headers: credentials.headersFor(headers) });
    } catch (error) {
      if (isLoopRefusal(error)) {
        throw new HttpError(
          "bad_request",
          `${redactUrl(url)} is this gateway (or another replica of it): registering it as "${name}" would send every call back into the gateway`,
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpError("bad_gateway", `Could not list the tools of "${name}" at ${redactUrl(url)}: ${reason}`);
    }
    const capabilities = screenCapabilities(listed);
    if (capabilities.rejected.length > 0) {
      log.warn("service lists invalid definitions; serving the others", {
        service: name,
        url: redactUrl(url),
        rejected: capabilities.rejected,
      });
      deps.onRejected?.(name, capabilities.rejected);
    }
    return capabilities;
  };

  /**
   * Stores fresh lists for an active service. With `expectedUrl` they are stored only if the service is
   * still there: lists read from an address it has since moved away from must not undo the move.
   */
  const replace = async (
    previous: ServiceRecord,
    input: { url?: string; expectedUrl?: string; secretHeaders?: string | null } & StoredCapabilities,
    action: "register" | "update",
  ): Promise<ServiceRecord> => {
    const { name } = previous;
    const service = await storage(() => replaceServiceTools(db, name, input));
    if (!service) throw notFound(name);
    audit(action, name, previous, service);
    await deps.announce();
    log.info("service updated", { service: name, url: redactUrl(service.url), ...counts(input) });
    await deps.onRefreshed?.(previous, service);
    return service;
  };

  return {
    // Registering the same name at the same URL again is a refresh, so scripts and the bootstrap can
    // repeat it safely (also when the repeats run at once); a different URL is a conflict that needs an
    // explicit update.
    async register({ name, url, headers }) {
      // Sealed first: headers that cannot be stored safely are refused before anything else happens.
      const secretHeaders = seal(headers);
      let existing = await storage(() => findActiveService(db, name));
      if (existing && existing.url !== url) throw conflict(name, existing.url);
      const capabilities = await discover(name, url, headers ?? credentials.open(existing?.secretHeaders ?? null));
      if (!existing) {
        try {
          const service = await storage(() =>
            insertService(db, { name, url, ...capabilities, secretHeaders: secretHeaders ?? credentials.seal({}) }),
          );
          audit("register", name, undefined, service);
          await deps.announce();
          log.info("service registered", { service: name, url: redactUrl(url), ...counts(capabilities) });
          return { service, created: true };
        } catch (error) {
          // A concurrent registration of this name won; at our URL this is a refresh after it.
          if (!(error instanceof ServiceExistsError)) throw error;
          existing = await storage(() => findActiveService(db, name));
          if (!existing) throw conflict(name);
        }
      }
      const service = await replace(existing, { expectedUrl: url, secretHeaders, ...capabilities }, "register");
      return { service, created: false };
    },

    async update(name, { url, headers }) {
      const secretHeaders = seal(headers);
      const existing = await storage(() => findActiveService(db, name));
      if (!existing) throw notFound(name);
      const target = url ?? existing.url;
      const capabilities = await discover(name, target, headers ?? credentials.open(existing.secretHeaders));
      // An explicit new URL wins over whatever happened meanwhile; a refresh only holds where it looked.
      return replace(
        existing,
        { url: target, expectedUrl: url === undefined ? existing.url : undefined, secretHeaders, ...capabilities },
        "update",
      );
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
