/**
 * Lists what a backend offers at registration: its tools, and its resources, resource templates and
 * prompts when its initialize result advertises them. Definitions are kept as the raw JSON the backend
 * sent, so nothing of theirs is lost or reshaped.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { type BackendTarget, connectBackend } from "./mcp-connection.ts";
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
): Promise<ListedCapabilities> {
  const client = await connectBackend(target, timeoutMs);
  try {
    const offered = client.getServerCapabilities() ?? {};
    const options = { timeout: timeoutMs };
    const collectPages = createPageCollector(limits);
    const tools = await collectPages(
      "tools",
      (params) => client.request({ method: "tools/list", params }, RawToolListSchema, options),
      (page) => page.tools,
    );
    const resources = offered.resources
      ? await collectPages(
          "resources",
          (params) => client.request({ method: "resources/list", params }, RawResourceListSchema, options),
          (page) => page.resources,
        )
      : [];
    const resourceTemplates = offered.resources ? await listResourceTemplates(client, options, collectPages) : [];
    const prompts = offered.prompts
      ? await collectPages(
          "prompts",
          (params) => client.request({ method: "prompts/list", params }, RawPromptListSchema, options),
          (page) => page.prompts,
        )
      : [];
    return { tools, resources, resourceTemplates, prompts, resourceSubscribe: offered.resources?.subscribe === true };
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Some SDKs (Python's low-level server, for one) advertise resources without a templates handler when
 * the service has no templates; its "method not found" means an empty list, not a broken backend.
 */
async function listResourceTemplates(
  client: Client,
  options: { timeout: number },
  collectPages: PageCollector,
): Promise<unknown[]> {
  try {
    return await collectPages(
      "resource templates",
      (params) =>
        client.request({ method: "resources/templates/list", params }, RawResourceTemplateListSchema, options),
      (page) => page.resourceTemplates,
    );
  } catch (error) {
    if (error instanceof McpError && error.code === ErrorCode.MethodNotFound) return [];
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
