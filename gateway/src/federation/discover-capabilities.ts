/**
 * Lists what a backend offers at registration: its tools, and its resources, resource templates and
 * prompts when its capabilities advertise them, and finds out which MCP revision it speaks. Definitions
 * are kept as the raw JSON the backend sent, so nothing of theirs is lost or reshaped.
 *
 * An HTTP backend is asked over the same raw session calls use (see backend-session.ts), which finds out
 * the revision: `server/discover` first, `initialize` when the backend does not know it. A stdio backend
 * is asked through the SDK client, in the 2025 revision.
 */

import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/client";
import type { z } from "zod";
import { createBackendSession } from "./backend-session.ts";
import {
  type BackendTarget,
  connectBackend,
  createIdleTolerantFetch,
  type HttpTarget,
  type StdioTarget,
} from "./mcp-connection.ts";
import {
  RawPromptListSchema,
  RawResourceListSchema,
  RawResourceTemplateListSchema,
  RawToolListSchema,
} from "./raw-results.ts";
import type { ListedCapabilities } from "./screen-definitions.ts";

/** Most pages followed per list, so a backend that always returns a cursor cannot keep a registration busy. */
const MAX_PAGES = 1000;

type PageParams = { cursor?: string };

/** What discovery found: the lists, and the revision an HTTP backend speaks (none for stdio). */
export type DiscoveredCapabilities = ListedCapabilities & { revision?: string };

/** One list request to the backend, its result checked against `schema` but otherwise as sent. */
type ListRequest = <S extends z.ZodType>(method: string, params: PageParams, schema: S) => Promise<z.infer<S>>;

interface Lister {
  capabilities: Record<string, unknown>;
  revision?: string;
  list: ListRequest;
  close(): Promise<void>;
}

/** How much one service may list; a service over a limit is refused whole rather than served in part. */
export interface ListLimits {
  /** Most entries in each of its lists (MAX_SERVICE_LIST_ITEMS). */
  maxItems: number;
  /** Most bytes of JSON all its lists take together (MAX_SERVICE_LIST_BYTES). */
  maxBytes: number;
}

/**
 * Connects to a backend and lists everything it offers, following `nextCursor`. Tools are listed
 * whatever the backend advertises, as before resources and prompts were federated; the other lists
 * only under their capability, so a tools-only backend is asked nothing new.
 */
export async function discoverCapabilities(
  target: BackendTarget,
  timeoutMs: number,
  limits: ListLimits,
): Promise<DiscoveredCapabilities> {
  const lister = "stdio" in target ? await stdioLister(target, timeoutMs) : await httpLister(target, timeoutMs);
  try {
    const offered = lister.capabilities;
    const { list } = lister;
    const collectPages = createPageCollector(limits);
    const tools = await collectPages(
      "tools",
      (params) => list("tools/list", params, RawToolListSchema),
      (page) => page.tools,
    );
    const resources = offered.resources
      ? await collectPages(
          "resources",
          (params) => list("resources/list", params, RawResourceListSchema),
          (page) => page.resources,
        )
      : [];
    const resourceTemplates = offered.resources ? await listResourceTemplates(list, collectPages) : [];
    const prompts = offered.prompts
      ? await collectPages(
          "prompts",
          (params) => list("prompts/list", params, RawPromptListSchema),
          (page) => page.prompts,
        )
      : [];
    return {
      tools,
      resources,
      resourceTemplates,
      prompts,
      resourceSubscribe: (offered.resources as { subscribe?: unknown } | undefined)?.subscribe === true,
      ...(lister.revision === undefined ? {} : { revision: lister.revision }),
    };
  } finally {
    await lister.close().catch(() => {});
  }
}

/** Always probes, whatever was recorded before: a re-discovery is how a changed revision is noticed. */
async function httpLister(target: HttpTarget, timeoutMs: number): Promise<Lister> {
  const session = createBackendSession({
    target,
    fetch: createIdleTolerantFetch(timeoutMs),
    connectTimeoutMs: timeoutMs,
    findRevision: true,
  });
  try {
    const { revision, capabilities } = await session.open();
    return {
      revision,
      capabilities,
      list: async (method, params, schema) =>
        checked(method, schema, await session.request(method, params, { timeoutMs })),
      close: async () => session.close(),
    };
  } catch (error) {
    session.close();
    throw error;
  }
}

async function stdioLister(target: StdioTarget, timeoutMs: number): Promise<Lister> {
  const client = await connectBackend(target, timeoutMs);
  const options = { timeout: timeoutMs };
  return {
    capabilities: client.getServerCapabilities() ?? {},
    // The SDK checks the result against the schema; its typing knows the schema only as a standard schema.
    list: (method, params, schema) =>
      client.request({ method, params }, schema, options) as Promise<z.infer<typeof schema>>,
    close: () => client.close(),
  };
}

/** The result when it has the list's shape; a clear error naming the list otherwise. */
function checked<S extends z.ZodType>(method: string, schema: S, result: unknown): z.infer<S> {
  const parsed = schema.safeParse(result);
  if (parsed.success) return parsed.data;
  throw new Error(`the service answered ${method} with a result that is not a list: ${parsed.error.message}`);
}

/**
 * Some SDKs (Python's low-level server, for one) advertise resources without a templates handler when
 * the service has no templates; its "method not found" means an empty list, not a broken backend.
 */
async function listResourceTemplates(list: ListRequest, collectPages: PageCollector): Promise<unknown[]> {
  try {
    return await collectPages(
      "resource templates",
      (params) => list("resources/templates/list", params, RawResourceTemplateListSchema),
      (page) => page.resourceTemplates,
    );
  } catch (error) {
    if (error instanceof ProtocolError && error.code === ProtocolErrorCode.MethodNotFound) return [];
    throw error;
  }
}

type PageCollector = <P extends { nextCursor?: string }, T>(
  what: string,
  fetchPage: (params: PageParams) => Promise<P>,
  itemsOf: (page: P) => T[],
) => Promise<T[]>;

/** Follows pages of each list, counting entries per list and bytes across all lists of the service. */
function createPageCollector({ maxItems, maxBytes }: ListLimits): PageCollector {
  let bytes = 0;
  return async (what, fetchPage, itemsOf) => {
    const items: ReturnType<typeof itemsOf> = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await fetchPage(cursor ? { cursor } : {});
      const pageItems = itemsOf(result);
      if (items.length + pageItems.length > maxItems) {
        throw new Error(
          `the service lists more than ${maxItems} ${what}; the gateway takes at most ${maxItems} (MAX_SERVICE_LIST_ITEMS)`,
        );
      }
      bytes += Buffer.byteLength(JSON.stringify(pageItems));
      if (bytes > maxBytes) {
        throw new Error(
          `the service's lists take more than ${maxBytes} bytes of JSON; the gateway takes at most ${maxBytes} (MAX_SERVICE_LIST_BYTES)`,
        );
      }
      items.push(...pageItems);
      cursor = result.nextCursor;
      if (!cursor) return items;
    }
    throw new Error(`the service kept returning a nextCursor after ${MAX_PAGES} pages of ${what}`);
  };
}
