/**
 * The registry's write operations as the admin API and the bootstrap use them: discover a backend's
 * tools, resources and prompts, store them, then announce the change so every replica reloads its
 * catalog. A backend is reached by URL, or run from a command (a stdio backend) if the command is one
 * of STDIO_COMMANDS: registering one runs it on the gateway's host.
 */

import type { BackendTarget } from "../federation/mcp-connection.ts";
import type { StdioLaunch } from "../federation/stdio-channel.ts";
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
  type ServiceEndpoint,
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
  /** Commands a stdio backend may run (STDIO_COMMANDS); none: stdio backends are refused. */
  stdioCommands: readonly string[];
  /** Announces a committed change (bumps the registry version, reloads the local catalog). */
  announce: () => Promise<void>;
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
  /** Re-pulls the tools; the fields given replace the stored ones. */
  update(name: string, input: EndpointChange): Promise<ServiceRecord>;
  remove(name: string): Promise<void>;
  list(): Promise<ServiceRecord[]>;
}

export function createRegistryService(deps: RegistryServiceDeps): RegistryService {
  const { db, log, credentials } = deps;

  const discover = async (name: string, endpoint: Endpoint): Promise<ServiceCapabilities> => {
    const target = await allowedTarget(name, endpoint);
    try {
      return await deps.discover(target);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpError(
        "bad_gateway",
        `Could not list the tools of "${name}" at ${describe(endpoint)}: ${redactUrlsIn(reason)}`,
      );
    }
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

  const refresh = async (name: string, endpoint: Endpoint): Promise<ServiceRecord> => {
    const sealed = stored(endpoint);
    const capabilities = await discover(name, endpoint);
    const service = await storage(() => replaceServiceTools(db, name, { ...sealed, ...capabilities }));
    if (!service) throw notFound(name);
    await deps.announce();
    log.info("service updated", { service: name, at: describe(endpoint), ...counts(capabilities) });
    return service;
  };

  return {
    async register({ name, ...input }) {
      const existing = await storage(() => findActiveService(db, name));
      if (existing) return { service: await refreshSame(existing, input), created: false };
      const endpoint = endpointFrom(input);
      const sealed = stored(endpoint);
      const capabilities = await discover(name, endpoint);
      try {
        const service = await storage(() => insertService(db, { name, ...sealed, ...capabilities }));
        await deps.announce();
        log.info("service registered", { service: name, at: describe(endpoint), ...counts(capabilities) });
        return { service, created: true };
      } catch (error) {
        // Lost a race with a concurrent registration of the same name.
        if (error instanceof ServiceExistsError) throw conflict(name);
        throw error;
      }
    },

    async update(name, change) {
      const existing = await storage(() => findActiveService(db, name));
      if (!existing) throw notFound(name);
      return refresh(name, changed(endpointOf(existing), change));
    },

    async remove(name) {
      const removed = await storage(() => softDeleteService(db, name));
      if (!removed) throw notFound(name);
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
    return refresh(existing.name, endpoint);
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

function notFound(name: string): HttpError {
  return new HttpError("not_found", `No service named "${name}" is registered`);
}

function conflict(name: string, at?: string): HttpError {
  const where = at ? ` at ${at}` : "";
  return new HttpError(
    "conflict",
    `A service named "${name}" is already registered${where}; use PUT /update/${name} to change it`,
  );
}

/** Runs a registry query; a failure of the database itself becomes a 503 the caller can retry. */
async function storage<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof ServiceExistsError || error instanceof HttpError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError("service_unavailable", `The registry database is unavailable, try again later (${reason})`);
  }
}
