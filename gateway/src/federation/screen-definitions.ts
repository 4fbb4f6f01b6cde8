/**
 * Sorts what a backend listed into what the gateway serves and what it leaves out. One bad definition
 * must not cost every client the whole federated list: the SDK client validates a list as a whole, so a
 * tool without an object `inputSchema` (or with an output schema Ajv cannot compile) makes its
 * `listTools()` fail for every backend's tools. Such definitions are dropped here, with the reason, and
 * the rest is kept. Text with a NUL character is dropped too: Postgres cannot store it in jsonb.
 */
import { PromptSchema, ResourceSchema, ResourceTemplateSchema, ToolSchema } from "@modelcontextprotocol/core";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import type { z } from "zod";
import type { RejectedDefinition, ServiceCapabilities, StoredCapabilities } from "../registry/queries.ts";

/** The MCP specification's bounds for a tool name; prompt names get the same. */
const MAX_NAME_LENGTH = 128;
/** Longest rendering of a rejected definition's name in the service list and the log. */
const MAX_SHOWN_NAME = 80;

type Kind = RejectedDefinition["kind"];

/** The entries of each list as a backend sent them, before any check. */
export type ListedCapabilities = { [K in keyof ServiceCapabilities]: unknown[] } & { resourceSubscribe?: boolean };

type Entry = { [key: string]: unknown };

export function screenCapabilities(listed: ListedCapabilities): StoredCapabilities {
  const rejected: RejectedDefinition[] = [];
  const outputSchemas = new AjvJsonSchemaValidator();
  const keep = <D extends Entry>(
    kind: Kind,
    items: unknown[],
    schema: z.ZodType,
    key: string,
    extra?: (item: Entry) => string | undefined,
  ): D[] => {
    const seen = new Set<unknown>();
    return items.filter((item): item is D => {
      const id = typeof item === "object" && item !== null ? (item as Entry)[key] : undefined;
      const reason =
        nulPath(item) ??
        schemaProblem(schema, item) ??
        extra?.(item as Entry) ??
        (seen.has(id) ? "the backend lists it more than once" : undefined);
      seen.add(id);
      if (reason === undefined) return true;
      rejected.push({ kind, name: shown(id), reason });
      return false;
    });
  };
  const nameLength = ({ name }: Entry) =>
    typeof name === "string" && (name.length === 0 || name.length > MAX_NAME_LENGTH)
      ? `its name must be 1 to ${MAX_NAME_LENGTH} characters long, not ${name.length}`
      : undefined;
  return {
    tools: keep(
      "tool",
      listed.tools,
      ToolSchema,
      "name",
      (t) => nameLength(t) ?? outputSchemaProblem(outputSchemas, t),
    ),
    resources: keep("resource", listed.resources, ResourceSchema, "uri"),
    resourceTemplates: keep("resourceTemplate", listed.resourceTemplates, ResourceTemplateSchema, "uriTemplate"),
    prompts: keep("prompt", listed.prompts, PromptSchema, "name", nameLength),
    rejected,
    resourceSubscribe: listed.resourceSubscribe ?? false,
  };
}

function schemaProblem(schema: z.ZodType, item: unknown): string | undefined {
  const parsed = schema.safeParse(item);
  if (parsed.success) return undefined;
  return parsed.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(definition)"}: ${issue.message}`)
    .join("; ");
}

// The SDK client compiles every listed output schema when it lists tools; one that fails fails the list.
function outputSchemaProblem(validator: AjvJsonSchemaValidator, tool: Entry): string | undefined {
  if (tool.outputSchema === undefined) return undefined;
  try {
    validator.getValidator(tool.outputSchema as Parameters<AjvJsonSchemaValidator["getValidator"]>[0]);
    return undefined;
  } catch (error) {
    return `outputSchema is not a usable JSON Schema: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Where in `value` a NUL character is (in a string or a key), as a path; undefined when nowhere. */
function nulPath(value: unknown, path = ""): string | undefined {
  if (typeof value === "string")
    return value.includes("\0") ? `${path || "(definition)"}: contains a NUL character` : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes("\0")) return `${JSON.stringify(at)}: a key contains a NUL character`;
    const found = nulPath(child, at);
    if (found) return found;
  }
  return undefined;
}

function shown(name: unknown): string {
  const text = JSON.stringify(typeof name === "string" ? name : (name ?? null)) ?? "null";
  return text.length > MAX_SHOWN_NAME ? `${text.slice(0, MAX_SHOWN_NAME - 1)}…` : text;
}
