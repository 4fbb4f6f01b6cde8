/**
 * The gateway's handlers for federated resources and prompts: lists are paged from the in-memory
 * catalog, reads and gets are forwarded to the owning service.
 */
import type { RequestId, Server } from "@modelcontextprotocol/server";
import type { CallOptions } from "../federation/backend-pool.ts";
import type { ClientLink } from "../federation/client-backend-sessions.ts";
import { listPage } from "./list-pages.ts";
import { type ForwardRouting, routePromptGet, routeResourceRead } from "./route-resources-and-prompts.ts";
import { setValidatedHandler } from "./validated-handler.ts";

export interface ResourceAndPromptDeps extends ForwardRouting {
  pageSize: number;
  /** The client of a session: reads and gets go in its own backend sessions. */
  client?: ClientLink;
  /** How the calls of a request ask the client (for backends that ask during a read or a get). */
  asking: (requestId: RequestId) => Pick<CallOptions, "onrequest" | "clientCapabilities">;
}

/** The server must advertise the resources and prompts capabilities (the SDK refuses the handlers otherwise). */
export function setResourceAndPromptHandlers(server: Server, deps: ResourceAndPromptDeps): void {
  const { catalog, pageSize } = deps;
  setValidatedHandler(server, "resources/list", (params) =>
    listPage(catalog.snapshot(), "resources", params.cursor, pageSize),
  );
  setValidatedHandler(server, "resources/templates/list", (params) =>
    listPage(catalog.snapshot(), "resourceTemplates", params.cursor, pageSize),
  );
  setValidatedHandler(server, "resources/read", (params, ctx) =>
    routeResourceRead(deps, params.uri, {
      signal: ctx.mcpReq.signal,
      client: deps.client,
      ...deps.asking(ctx.mcpReq.id),
    }),
  );
  setValidatedHandler(server, "prompts/list", (params) =>
    listPage(catalog.snapshot(), "prompts", params.cursor, pageSize),
  );
  setValidatedHandler(server, "prompts/get", (params, ctx) =>
    routePromptGet(deps, params.name, params.arguments, {
      signal: ctx.mcpReq.signal,
      client: deps.client,
      ...deps.asking(ctx.mcpReq.id),
    }),
  );
}
