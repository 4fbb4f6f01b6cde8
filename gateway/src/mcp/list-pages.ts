/**
 * Pages of the catalog's four lists. A list no longer than the page size is one page without a cursor;
 * a longer one is cut into pages whose `nextCursor` is base64url JSON of the list, the catalog version
 * and the offset of the next page. Cursors hold everything needed, so any replica can continue a
 * listing another one started.
 *
 * A cursor issued under another catalog version resumes at its offset in the current lists rather than
 * failing. That is exact when services were only added, since their entries come after all earlier ones
 * and exposed names never change; after a removal, entries past the removed ones move forward, and a
 * client may miss a few until it lists again. The version is in the cursor so that cursors of different
 * catalogs never look alike.
 */
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";

export type ListName = "tools" | "resources" | "resourceTemplates" | "prompts";

export type ListPage<L extends ListName> = { [K in L]: CatalogSnapshot[K] } & { nextCursor?: string };

const METHODS: Record<ListName, string> = {
  tools: "tools/list",
  resources: "resources/list",
  resourceTemplates: "resources/templates/list",
  prompts: "prompts/list",
};

const CursorSchema = z.strictObject({
  list: z.enum(["tools", "resources", "resourceTemplates", "prompts"]),
  version: z.number().int().min(0),
  offset: z.number().int().min(0),
});

/**
 * The page of `list` that `cursor` points at (the first page without one).
 * @throws ProtocolError InvalidParams (-32602) when the cursor is not one this gateway issued for this list.
 */
export function listPage<L extends ListName>(
  snapshot: CatalogSnapshot,
  list: L,
  cursor: string | undefined,
  pageSize: number,
): ListPage<L> {
  const items = snapshot[list];
  const offset = cursor === undefined ? 0 : offsetOf(cursor, list);
  const end = offset + pageSize;
  const next = end < items.length ? { nextCursor: encodeCursor(list, snapshot.version, end) } : {};
  return { [list]: items.slice(offset, end), ...next } as ListPage<L>;
}

function encodeCursor(list: ListName, version: number, offset: number): string {
  return Buffer.from(JSON.stringify({ list, version, offset })).toString("base64url");
}

function offsetOf(cursor: string, list: ListName): number {
  const decoded = CursorSchema.safeParse(parseJson(Buffer.from(cursor, "base64url").toString()));
  if (!decoded.success || decoded.data.list !== list) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Invalid cursor for ${METHODS[list]}; call it without a cursor to start from the first page`,
    );
  }
  return decoded.data.offset;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
