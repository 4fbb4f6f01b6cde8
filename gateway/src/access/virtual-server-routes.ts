/**
 * `/virtual-servers`: create, list, read, replace and delete virtual servers. Reads need the admin or
 * viewer API key, writes the admin key.
 */
import { Hono } from "hono";
import { adminBodyLimit, readBody } from "../admin/admin-routes.ts";
import { HttpError, toIssues } from "../http-error.ts";
import type { AdminAuth } from "./admin-auth.ts";
import type { VirtualServerRecord } from "./virtual-server-queries.ts";
import { createVirtualServerBody, replaceVirtualServerBody, virtualServerName } from "./virtual-server-schemas.ts";
import type { VirtualServers } from "./virtual-servers.ts";

export interface VirtualServerRoutesDeps {
  virtualServers: VirtualServers;
  auth: AdminAuth;
}

export function createVirtualServerRoutes({ virtualServers, auth }: VirtualServerRoutesDeps): Hono {
  const app = new Hono();
  const read = auth.read();

  app.post("/virtual-servers", auth.write, adminBodyLimit, async (c) => {
    const body = await readBody(c, createVirtualServerBody, true);
    return c.json({ virtualServer: virtualServerView(await virtualServers.create(body)) }, 201);
  });

  app.get("/virtual-servers", read, async (c) => {
    const servers = await virtualServers.list();
    return c.json({ virtualServers: servers.map(virtualServerView) });
  });

  app.get("/virtual-servers/:name", read, async (c) => {
    const server = await virtualServers.get(parseName(c.req.param("name")));
    return c.json({ virtualServer: virtualServerView(server) });
  });

  app.put("/virtual-servers/:name", auth.write, adminBodyLimit, async (c) => {
    const name = parseName(c.req.param("name"));
    const body = await readBody(c, replaceVirtualServerBody, true);
    return c.json({ virtualServer: virtualServerView(await virtualServers.replace(name, body)) });
  });

  app.delete("/virtual-servers/:name", auth.write, async (c) => {
    const name = parseName(c.req.param("name"));
    await virtualServers.remove(name);
    return c.json({ deleted: name });
  });

  for (const [path, allow] of [
    ["/virtual-servers", "GET, POST"],
    ["/virtual-servers/:name", "GET, PUT, DELETE"],
  ] as const) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      throw new HttpError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.routePath}; use ${allow}`);
    });
  }
  return app;
}

/** What the API shows of a virtual server, with the path where it is served. */
function virtualServerView(record: VirtualServerRecord) {
  return {
    name: record.name,
    description: record.description,
    path: `/servers/${record.name}/mcp`,
    services: record.services,
    tools: record.tools,
    resources: record.resources,
    prompts: record.prompts,
    allowedScopes: record.allowedScopes,
    allowedRoles: record.allowedRoles,
    mode: record.mode,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function parseName(raw: string): string {
  const parsed = virtualServerName.safeParse(raw);
  if (!parsed.success)
    throw new HttpError("bad_request", "invalid virtual server name in the path", toIssues(parsed.error));
  return parsed.data;
}
