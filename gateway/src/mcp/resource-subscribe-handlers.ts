/**
 * `resources/subscribe` and `resources/unsubscribe` of 2025 sessions, passed on to the service that
 * serves the URI in the caller's view (see subscriptions/resource-updates.ts). Updates then arrive on
 * the session's GET stream, so a request without a session is refused saying so.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { CatalogView } from "../catalog/catalog.ts";
import type { Session } from "../sessions/session-ids.ts";
import type { ResourceUpdates } from "../subscriptions/resource-updates.ts";
import { setValidatedHandler } from "./validated-handler.ts";

export interface ResourceSubscribeDeps {
  catalog: CatalogView;
  resourceUpdates: ResourceUpdates;
  session?: Session;
}

/** The server must advertise `resources.subscribe` (the SDK refuses the handlers otherwise). */
export function setResourceSubscribeHandlers(
  server: Server,
  { catalog, resourceUpdates, session }: ResourceSubscribeDeps,
) {
  const sessionOf = (method: string): Session => {
    if (session) return session;
    throw new McpError(
      ErrorCode.InvalidRequest,
      `${method} needs a session: updates are sent on its GET stream. Send initialize, then use the Mcp-Session-Id it answers with.`,
    );
  };
  setValidatedHandler(server, SubscribeRequestSchema, async (request) => {
    await resourceUpdates.subscribeSession(sessionOf(request.method), catalog, request.params.uri);
    return {};
  });
  setValidatedHandler(server, UnsubscribeRequestSchema, async (request) => {
    await resourceUpdates.unsubscribeSession(sessionOf(request.method), request.params.uri);
    return {};
  });
}
