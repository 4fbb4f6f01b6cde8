/**
 * What the operator console reads and does beyond the registry API: the whole catalog as clients see
 * it (with schemas), a live stream of catalog and backend changes, and "try it" tool calls. Reading
 * needs a viewer or admin key; calling a tool needs the admin key, since it acts on a backend.
 */
import { ProtocolError } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import type { AdminAuth } from "../access/admin-auth.ts";
import type { Catalog } from "../catalog/catalog.ts";
import type { BackendPool, BackendState } from "../federation/backend-pool.ts";
import { HttpError, toIssues } from "../http-error.ts";
import { routeToolCall } from "../mcp/route-tool-call.ts";
import { toolCallBody } from "./admin-schemas.ts";
import { createEventStreams, type EventStreams } from "./event-streams.ts";

export interface OperatorRoutesDeps {
  catalog: Catalog;
  pool: BackendPool;
  auth: AdminAuth;
  /** How often the live stream looks for changes; also bounds how late an update arrives. */
  eventPollMs?: number;
}

export function createOperatorRoutes(deps: OperatorRoutesDeps): { app: Hono; streams: EventStreams } {
  const app = new Hono();
  const { catalog, pool, auth } = deps;
  const read = auth.read();
  const streams = createEventStreams({
    intervalMs: deps.eventPollMs ?? 1000,
    state: () => liveState(catalog, pool.states()),
  });

  app.get("/whoami", read, (c) => c.json({ role: auth.role(c) }));

  app.get("/catalog", read, (c) => {
    const snapshot = catalog.snapshot();
    return c.json({
      version: snapshot.version,
      tools: snapshot.tools.map((tool) => ({ ...tool, ...snapshot.routes.get(tool.name) })),
      prompts: snapshot.prompts.map((prompt) => ({ ...prompt, ...snapshot.promptRoutes.get(prompt.name) })),
      services: snapshot.services.map((service) => ({
        name: service.name,
        resources: service.resources,
        resourceTemplates: service.resourceTemplates,
      })),
    });
  });

  app.get("/events", read, (c) => {
    return streams.open(c.req.raw.signal);
  });

  app.post("/tools/:name/call", auth.write, async (c) => {
    const parsed = toolCallBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new HttpError("bad_request", "request body is invalid", toIssues(parsed.error));
    const name = c.req.param("name");
    if (!catalog.snapshot().routes.has(name)) throw new HttpError("not_found", `no tool named "${name}"`);
    try {
      const result = await routeToolCall({ catalog, pool }, name, parsed.data.arguments, { signal: c.req.raw.signal });
      return c.json({ result });
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      // The backend refused the call (bad arguments, say): the operator sees its JSON-RPC error as is.
      return c.json({ error: { code: error.code, message: error.message } }, 422);
    }
  });

  return { app, streams };
}

export interface LiveState {
  version: number;
  backends: BackendState[];
}

function liveState(catalog: Catalog, backends: BackendState[]): LiveState {
  return { version: catalog.snapshot().version, backends };
}
