import type { ToolDefinition } from "../registry/queries.ts";
import { connectBackend, type BackendTarget } from "./mcp-connection.ts";
import { RawToolListSchema } from "./raw-results.ts";

/** Most pages followed, so a backend that always returns a cursor cannot keep a registration busy. */
const MAX_PAGES = 1000;

/**
 * Connects to a backend and lists all its tools, following `nextCursor`. Tool definitions are kept as
 * the raw JSON the backend sent, so nothing of theirs is lost or reshaped.
 */
export async function discoverTools(target: BackendTarget, timeoutMs: number): Promise<ToolDefinition[]> {
  const client = await connectBackend(target, timeoutMs);
  try {
    const tools: ToolDefinition[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = cursor ? { cursor } : {};
      const result = await client.request({ method: "tools/list", params }, RawToolListSchema, { timeout: timeoutMs });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (!cursor) return tools;
    }
    throw new Error(`the service kept returning a nextCursor after ${MAX_PAGES} pages of tools`);
  } finally {
    await client.close().catch(() => {});
  }
}
