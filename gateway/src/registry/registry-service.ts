/**
 * The registry's write operations as the admin API and the bootstrap use them: discover a backend's
 * tools, resources and prompts, store them, then announce the change so every replica reloads its
 * catalog.
 */
import type { AuditEvent } from "../audit/audit-log.ts";
import type { BackendTarget } from "../federation/mcp-connection.ts";
import { HttpError } from "../http-error.ts";
import type { Logger } from "../logger.ts";
import type { BackendCredentials, HeaderMap } from "../security/backend-credentials.ts";
import { redactUrl, redactUrlsIn } from "../security/redact-url.ts";
import type { UrlPolicy } from "../security/url-policy.ts";
import type { Database } from "./database.ts";
import {
  findActiveService,
  insertService,
  listActiveServices,
  replaceServiceTools,
  type ServiceCapabilities,
  ServiceExistsError,
  type ServiceRecord,
  softDeleteService,
} from "./queries.ts";

export interface RegistryServiceDeps {
  db: Database;
  /** Lists a backend's tools, resources and prompts; throws when it cannot be reached or does not speak MCP. */
  discover: (target: BackendTarget) => Promise<ServiceCapabilities>;
  credentials: BackendCredentials;
  urlPolicy: UrlPolicy;
  /** Announces a committed change (bumps the registry version, reloads the local catalog). */
  announce: () => Promise<void>;
  /** Told after a service's lists were pulled again and stored, with the record before and after. */
  onRefreshed?: (previous: ServiceRecord, next: ServiceRecord) => Promise<void>;
  log: Logger;
  /** Told of every change, with summaries of the service before and after it. */
  audit?: { record(event: AuditEvent): void };
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
  /** What the audit log keeps of a service: its URL, counts and header names; never the header values. */
  const summary = (service: ServiceRecord) => ({
    url: service.url,
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

  const discover = async (name: string, url: string, headers: HeaderMap): Promise<ServiceCapabilities> => {
    const refused = await deps.urlPolicy.check(url);
    if (refused) throw new HttpError("forbidden", `The gateway does not connect to ${redactUrl(url)}: ${refused}`);
    try {
      return await deps.discover({ name, url, headers: credentials.headersFor(headers) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpError(
        "bad_gateway",
        `Could not list the tools of "${name}" at ${redactUrl(url)}: ${redactUrlsIn(reason)}`,
      );
    }
  };

  const refresh = async (
    previous: ServiceRecord,
    url: string,
    headers: HeaderMap,
    action: "register" | "update" = "update",
  ): Promise<ServiceRecord> => {
    const { name } = previous;
    const secretHeaders = credentials.seal(headers);
    const capabilities = await discover(name, url, headers);
    const service = await storage(() => replaceServiceTools(db, name, { url, ...capabilities, secretHeaders }));
    if (!service) throw notFound(name);
    audit(action, name, previous, service);
    await deps.announce();
    log.info("service updated", { service: name, url: redactUrl(url), ...counts(capabilities) });
    await deps.onRefreshed?.(previous, service);
    return service;
  };

  return {
    async register({ name, url, headers }) {
      const existing = await storage(() => findActiveService(db, name));
      if (existing) return { service: await refreshSame(existing, url, headers), created: false };
      const secretHeaders = credentials.seal(headers ?? {});
      const capabilities = await discover(name, url, headers ?? {});
      try {
        const service = await storage(() => insertService(db, { name, url, ...capabilities, secretHeaders }));
        audit("register", name, undefined, service);
        await deps.announce();
        log.info("service registered", { service: name, url: redactUrl(url), ...counts(capabilities) });
        return { service, created: true };
      } catch (error) {
        // Lost a race with a concurrent registration of the same name.
        if (error instanceof ServiceExistsError) throw conflict(name);
        throw error;
      }
    },

    async update(name, { url, headers }) {
      const existing = await storage(() => findActiveService(db, name));
      if (!existing) throw notFound(name);
      return refresh(existing, url ?? existing.url, headers ?? credentials.open(existing.secretHeaders));
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

  // Registering the same name at the same URL again is a refresh, so scripts and the bootstrap can
  // repeat it safely; a different URL is a conflict that needs an explicit update.
  async function refreshSame(
    existing: ServiceRecord,
    url: string,
    headers: HeaderMap | undefined,
  ): Promise<ServiceRecord> {
    if (existing.url !== url) throw conflict(existing.name, existing.url);
    return refresh(existing, url, headers ?? credentials.open(existing.secretHeaders), "register");
  }
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

/** Runs a registry query; a failure of the database itself becomes a 503 the caller can retry. */
export async function storage<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof ServiceExistsError || error instanceof HttpError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError("service_unavailable", `The registry database is unavailable, try again later (${reason})`);
  }
}
