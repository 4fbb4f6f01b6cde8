/**
 * `resources/subscribe` and `resources/unsubscribe` of 2025 sessions, passed on to the service that
 * serves the URI in the caller's view (see subscriptions/resource-updates.ts). Updates then arrive on
 * the session's GET stream, so a request without a session is refused saying so.
 */
import { ProtocolError, ProtocolErrorCode, type Server } from "@modelcontextprotocol/server";
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
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRequest,
      `${method} needs a session: updates are sent on its GET stream. Send initialize, then use the Mcp-Session-Id it answers with.`,
    );
  };
  setValidatedHandler(server, "resources/subscribe", async (params, ctx) => {
    await resourceUpdates.subscribeSession(sessionOf(ctx.mcpReq.method), catalog, params.uri);
    return {};
  });
  setValidatedHandler(server, "resources/unsubscribe", async (params, ctx) => {
    await resourceUpdates.unsubscribeSession(sessionOf(ctx.mcpReq.method), params.uri);
    return {};
  });
}
