/**
 * The admin API: register (or import from a registry server.json), update, delete and list backend
 * services. Writes need the admin `X-API-Key`, reads the admin or viewer key; the service list may also be read with the MCP bearer token, as the
 * design's `POST /services` example does.
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import type { AdminAuth } from "../access/admin-auth.ts";
import type { BackendState } from "../federation/backend-pool.ts";
import { NO_GOVERNANCE, pendingTools, type ServiceGovernance } from "../governance/governed-tools.ts";
import type { ToolGovernance } from "../governance/tool-governance-service.ts";
import { HttpError, toIssues } from "../http-error.ts";
import type { ServiceRecord } from "../registry/queries.ts";
import type { RegistryService } from "../registry/registry-service.ts";
import { redactUrl } from "../security/redact-url.ts";
import { registerBody, serviceName, updateBody } from "./admin-schemas.ts";
import { importName, registrationOf, serverJsonBody } from "./server-json.ts";

export interface AdminRoutesDeps {
  registry: RegistryService;
  auth: AdminAuth;
  /** The MCP bearer token, accepted for reading the service list. */
  readToken: string;
  backendState: (service: string) => BackendState | undefined;
  governance: ToolGovernance;
}

const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export function createAdminRoutes({ registry, auth, readToken, backendState, governance }: AdminRoutesDeps): Hono {
  const app = new Hono();
  const views = async (records: ServiceRecord[]) => {
    const all = await governance.all();
    return records.map((record) => serviceView(record, backendState(record.name), all.get(record.id) ?? NO_GOVERNANCE));
  };
  const view = async (record: ServiceRecord) => (await views([record]))[0];
  const writeAuth = auth.write;
  const readAuth = auth.read(readToken);

  app.post("/register", writeAuth, adminBodyLimit, async (c) => {
    const body = await readBody(c, registerBody, true);
    const { service, created } = await registry.register(body);
    return c.json({ service: await view(service), created }, created ? 201 : 200);
  });

  // A server.json of the MCP registry, registered as POST /register would register its remote.
  app.post("/import", writeAuth, adminBodyLimit, async (c) => {
    const name = importName(c.req.query("name"));
    const doc = await readBody(c, serverJsonBody, true);
    const { service, created } = await registry.register(registrationOf(doc, name));
    const imported = { name: doc.name, version: doc.version };
    return c.json({ service: await view(service), created, imported }, created ? 201 : 200);
  });

  app.put("/update/:name", writeAuth, adminBodyLimit, async (c) => {
    const name = parseName(c.req.param("name"));
    const body = await readBody(c, updateBody, false);
    const service = await registry.update(name, body);
    return c.json({ service: await view(service) });
  });

  app.delete("/delete/:name", writeAuth, async (c) => {
    const name = parseName(c.req.param("name"));
    await registry.remove(name);
    return c.json({ deleted: name });
  });

  const list = async (c: Context) => {
    const services = await registry.list();
    return c.json({ services: await views(services) });
  };
  app.get("/services", readAuth, list);
  app.post("/services", readAuth, list);

  for (const [path, allow] of [
    ["/register", "POST"],
    ["/import", "POST"],
    ["/update/:name", "PUT"],
    ["/delete/:name", "DELETE"],
    ["/services", "GET, POST"],
  ] as const) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      throw new HttpError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.routePath}; use ${allow}`);
    });
  }
  return app;
}

/** What the API shows of a service: never its stored credentials. */
function serviceView(record: ServiceRecord, state: BackendState | undefined, governance: ServiceGovernance) {
  return {
    name: record.name,
    ...(record.command ? { command: record.command } : { url: redactUrl(record.url ?? "") }),
    tools: record.tools.map((t) => t.name),
    resources: record.resources.map((r) => r.uri),
    resourceTemplates: record.resourceTemplates.map((t) => t.uriTemplate),
    prompts: record.prompts.map((p) => p.name),
    rejected: record.rejected,
    revision: record.revision,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    governance: {
      pinning: record.pinMode,
      pending: pendingTools(record, governance).map(({ tool, reason }) => ({ tool, reason })),
      limits: record.limits ?? {},
      overrides: Object.fromEntries(governance.overrides),
    },
    health: {
      status: state?.status ?? "unknown",
      circuit: state?.circuit ?? "closed",
      consecutiveFailures: state?.consecutiveFailures ?? 0,
      ...(state?.lastError ? { lastError: state.lastError } : {}),
      ...(state?.lastCheckAt ? { lastCheckAt: state.lastCheckAt } : {}),
    },
  };
}

export function parseName(raw: string): string {
  const parsed = serviceName.safeParse(raw);
  if (!parsed.success) throw new HttpError("bad_request", "invalid service name in the path", toIssues(parsed.error));
  return parsed.data;
}

/** Refuses admin request bodies beyond any a valid request needs. */
export const adminBodyLimit = bodyLimit({
  maxSize: MAX_ADMIN_BODY_BYTES,
  onError: () => {
    throw new HttpError("payload_too_large", `request body exceeds ${MAX_ADMIN_BODY_BYTES} bytes`);
  },
});

/** Parses and validates a JSON body; an absent body counts as `{}` where the body is optional. */
export async function readBody<T extends z.ZodType>(c: Context, schema: T, required: boolean): Promise<z.infer<T>> {
  const text = await c.req.text();
  if (text.trim() === "" && !required) return schema.parse({});
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new HttpError("unsupported_media_type", "request body must be JSON (Content-Type: application/json)");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError("bad_request", "request body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpError("bad_request", "request body is invalid", toIssues(parsed.error));
  return parsed.data;
}
