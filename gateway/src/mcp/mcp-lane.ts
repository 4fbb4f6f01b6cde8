/**
 * POST /mcp, nearly all of the gateway's traffic, served without Hono's router and middleware chain:
 * the same steps in the same order as the Hono routes of /mcp (request id and access line, loop
 * refusal, host guard, auth, the endpoint), with the same responses. Hono's generic form of those steps
 * (a context and a request object per request, the composed chain, the access line's route lookup, a
 * copy of the response to add one header) was about 5% of the gateway's profile under load in Hono's
 * own code alone (`bun run bench --cpu-prof`). Every other request, /mcp with another method or
 * spelling included, goes to the Hono app, which still holds the /mcp routes.
 */
import { Context, type ErrorHandler } from "hono";
import type { Identity } from "../identity/identity.ts";
import type { McpAuth } from "../identity/mcp-auth.ts";
import type { RequestContext } from "../observability/request-context.ts";

const PATH = "/mcp";

export interface McpLaneDeps {
  /** Writes the access line and the metrics around `serve` (see request-logging.ts). */
  requestLog: (request: Request, route: string, serve: () => Promise<Response>) => Promise<Response>;
  refuseLoop: (request: Request) => Response | undefined;
  checkHost: (request: Request) => Response | undefined;
  auth: McpAuth;
  requestContext: RequestContext;
  serveMcp: (request: Request, identity: Identity) => Promise<Response>;
  /** The Hono app's error handler, so that a failure is answered as on any other route. */
  onError: ErrorHandler;
}

/** The answer to `request` when it is a POST to /mcp, or undefined for the Hono app to serve it. */
export function createMcpLane(deps: McpLaneDeps): (request: Request) => Promise<Response> | undefined {
  const serve = async (request: Request): Promise<Response> => {
    try {
      const refused = deps.refuseLoop(request) ?? deps.checkHost(request);
      if (refused) return refused;
      const caller = await deps.auth.authenticate(request, PATH);
      if (caller instanceof Response) return caller;
      return await deps.requestContext.runAs(caller, () => deps.serveMcp(request, caller));
    } catch (error) {
      return deps.onError(error as Error, new Context(request, { env: undefined, path: PATH }));
    }
  };
  return (request) =>
    request.method === "POST" && isMcpPath(request.url)
      ? deps.requestLog(request, PATH, () => serve(request))
      : undefined;
}

/** Whether the URL's path is exactly /mcp (a query aside), as Hono's router would match it. */
function isMcpPath(url: string): boolean {
  const start = url.indexOf("/", url.indexOf(":") + 3);
  if (start < 0 || !url.startsWith(PATH, start)) return false;
  const end = start + PATH.length;
  return end === url.length || url.charCodeAt(end) === QUESTION_MARK;
}

const QUESTION_MARK = 63;
