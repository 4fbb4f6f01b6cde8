/**
 * A virtual server in search mode lists two tools instead of its catalog: `search_tools`, which finds
 * tools by what they do, and `call_tool`, which calls one of them by name. A model then pays for the
 * definitions it needs rather than for thousands it does not. What it finds is exactly what the caller
 * may use, since the index is built over the caller's view; `call_tool` goes through the one tools/call
 * pipeline, so a tool outside the view is refused as a direct call of it would be.
 */
import { type CallToolResult, ProtocolError, ProtocolErrorCode, type Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { ToolDefinition } from "../registry/queries.ts";
import type { ToolIndex } from "./tool-index.ts";

const SEARCH_TOOLS = "search_tools";
const CALL_TOOL = "call_tool";

const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 20;

const searchArguments = z.strictObject({
  query: z
    .string()
    .trim()
    .min(1, "query must not be empty")
    .max(500, "query must be at most 500 characters")
    .describe("What the tool should do, in a few words, e.g. 'refund an order' or 'weather forecast'."),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .describe(`Most tools to return, best first (default ${DEFAULT_LIMIT}).`),
});

const callArguments = z.strictObject({
  name: z.string().min(1, "name must not be empty").describe("The name of a tool that search_tools returned."),
  arguments: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The tool's arguments, as its inputSchema describes them."),
});

const inputSchema = (schema: z.ZodType) => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input" });
  return rest as Tool["inputSchema"];
};

/** What tools/list shows on a server in search mode. */
export const SEARCH_MODE_TOOLS: Tool[] = [
  {
    name: SEARCH_TOOLS,
    title: "Search tools",
    description:
      "Finds the tools of this server that match a description of a task, best first, with the input schema of each. Call a found tool with call_tool.",
    inputSchema: inputSchema(searchArguments),
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: CALL_TOOL,
    title: "Call a tool",
    description: "Calls a tool that search_tools found, by its name, with arguments that match its input schema.",
    inputSchema: inputSchema(callArguments),
  },
];

type CallTool = (name: string, args: Record<string, unknown> | undefined) => Promise<CallToolResult>;

/**
 * Answers a tools/call on a server in search mode. Bad arguments are tool errors a model can correct;
 * any other tool name is unknown here, as it is not listed.
 */
export function callInSearchMode(
  index: () => ToolIndex,
  name: string,
  args: Record<string, unknown> | undefined,
  callTool: CallTool,
): Promise<CallToolResult> {
  if (name === SEARCH_TOOLS) {
    const parsed = searchArguments.safeParse(args ?? {});
    if (!parsed.success) return Promise.resolve(badArguments(name, parsed.error));
    return Promise.resolve(searchResult(index().search(parsed.data.query, parsed.data.limit)));
  }
  if (name === CALL_TOOL) {
    const parsed = callArguments.safeParse(args ?? {});
    if (!parsed.success) return Promise.resolve(badArguments(name, parsed.error));
    return callTool(parsed.data.name, parsed.data.arguments);
  }
  throw new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Unknown tool "${name}". This server offers ${SEARCH_TOOLS} to find tools and ${CALL_TOOL} to call them.`,
  );
}

function searchResult(found: readonly ToolDefinition[]): CallToolResult {
  const tools = found.map(({ name, title, description, inputSchema }) => ({ name, title, description, inputSchema }));
  const text =
    tools.length === 0 ? "No tool matches; try other words for what the tool should do." : JSON.stringify({ tools });
  return { content: [{ type: "text", text }], structuredContent: { tools } };
}

function badArguments(tool: string, error: z.ZodError): CallToolResult {
  const issues = error.issues.map((issue) => `${issue.path.join(".") || "arguments"}: ${issue.message}`).join("; ");
  return { isError: true, content: [{ type: "text", text: `Invalid arguments for ${tool}: ${issues}` }] };
}
