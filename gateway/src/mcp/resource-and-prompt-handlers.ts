/**
 * The gateway's handlers for federated resources and prompts: lists are paged from the in-memory
 * catalog, reads and gets are forwarded to the owning service.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
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
  setValidatedHandler(server, ListResourcesRequestSchema, (request) =>
    listPage(catalog.snapshot(), "resources", request.params?.cursor, pageSize),
  );
  setValidatedHandler(server, ListResourceTemplatesRequestSchema, (request) =>
    listPage(catalog.snapshot(), "resourceTemplates", request.params?.cursor, pageSize),
  );
  setValidatedHandler(server, ReadResourceRequestSchema, (request, extra) =>
    routeResourceRead(deps, request.params.uri, {
      signal: extra.signal,
      client: deps.client,
      ...deps.asking(extra.requestId),
    }),
  );
  setValidatedHandler(server, ListPromptsRequestSchema, (request) =>
    listPage(catalog.snapshot(), "prompts", request.params?.cursor, pageSize),
  );
  setValidatedHandler(server, GetPromptRequestSchema, (request, extra) =>
    routePromptGet(deps, request.params.name, request.params.arguments, {
      signal: extra.signal,
      client: deps.client,
      ...deps.asking(extra.requestId),
    }),
  );
}
