/**
 * A full-text index of a list of tools, for servers whose catalog is too large to list to a model. Tools
 * are ranked over their names, titles, descriptions and parameter names (names count most), with
 * prefix and typo-tolerant matching, so "invoice" finds `listInvoices` and "wether" finds the weather.
 */
import MiniSearch from "minisearch";
import type { ToolDefinition } from "../registry/queries.ts";

export interface ToolIndex {
  /** The best matches for `query`, best first, at most `limit`; none when no word of the query matches. */
  search(query: string, limit: number): ToolDefinition[];
}

interface IndexedTool {
  id: number;
  name: string;
  title: string;
  description: string;
  parameters: string;
}

const FIELDS = ["name", "title", "description", "parameters"] as const;

/** Words that say nothing about what a tool does; left out so they do not outweigh the ones that do. */
const STOP_WORDS = new Set(
  "a an and any all are as at be by can do for from get give i in is it its me my of on or please show some that the this to tool use using what which with".split(
    " ",
  ),
);

export function buildToolIndex(tools: readonly ToolDefinition[]): ToolIndex {
  const index = new MiniSearch<IndexedTool>({
    fields: [...FIELDS],
    processTerm,
    // Tuned on the benchmark's catalog (bench/search-catalog.ts): names outweigh prose, and typo
    // tolerance only for longer words, where it costs little and rarely matches a different word.
    searchOptions: {
      boost: { name: 4, title: 2, description: 0.7, parameters: 0.3 },
      prefix: (term) => term.length >= 3,
      fuzzy: (term) => (term.length > 5 ? 0.2 : false),
      weights: { prefix: 0.3, fuzzy: 0.3 },
      combineWith: "OR",
    },
  });
  index.addAll(tools.map(indexedTool));
  return {
    search(query, limit) {
      return index
        .search(query)
        .slice(0, limit)
        .flatMap((hit) => tools[hit.id as number] ?? []);
    },
  };
}

function indexedTool(tool: ToolDefinition, id: number): IndexedTool {
  return {
    id,
    name: words(tool.name),
    title: words(textOf(tool.title) ?? textOf((tool.annotations as { title?: unknown } | undefined)?.title) ?? ""),
    description: textOf(tool.description) ?? "",
    parameters: parameterNames(tool.inputSchema).map(words).join(" "),
  };
}

function parameterNames(schema: unknown): string[] {
  const properties = (schema as { properties?: unknown } | undefined)?.properties;
  return typeof properties === "object" && properties !== null ? Object.keys(properties) : [];
}

/** Splits identifiers into words: `getUserById`, `get_user_by_id` and `get-user-by-id` all read "get user by id". */
function words(identifier: string): string {
  return identifier.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
}

function textOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Lower case, no stop words, and a plain plural reduced to its singular so "invoices" meets "invoice". */
function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  if (STOP_WORDS.has(lower)) return null;
  if (lower.length > 4 && lower.endsWith("ies")) return `${lower.slice(0, -3)}y`;
  if (lower.length > 3 && lower.endsWith("s") && !lower.endsWith("ss")) return lower.slice(0, -1);
  return lower;
}
