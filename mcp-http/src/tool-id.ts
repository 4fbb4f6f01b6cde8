import { z } from "zod";

/**
 * An id argument of a tool. Ids are strings, but clients that read their arguments as JSON (the MCP
 * Inspector's `--tool-arg id=456`, models filling in a form) send numeric-looking ids as numbers; those
 * are accepted and turned into the string. The advertised inputSchema (the input side of the schema)
 * says `string` or `integer`, so clients are told the truth.
 */
export function toolId(description: string) {
  return z
    .union([z.string().min(1), z.number().int()])
    .transform((id) => String(id))
    .describe(description);
}
