/**
 * What an admin may govern about a service's tools: overrides of how each tool is shown and called,
 * limits on its calls, and whether changed definitions wait for approval. The same schemas validate the
 * admin API's bodies, describe them in the OpenAPI document and type the stored JSON.
 */
import { z } from "zod";

export const pinMode = z
  .enum(["off", "warn", "hold"])
  .describe(
    "off: serve what the backend lists. warn: serve new or changed tools but list them as pending. hold: keep new or changed tools out of the catalog until approved.",
  );
export type PinMode = z.infer<typeof pinMode>;

export const pinningBody = z.strictObject({ mode: pinMode });

/** The widest result a limit may allow: it is read into memory whole. */
const MAX_RESULT_BYTES = 1024 * 1024 * 1024;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export const toolLimits = z
  .strictObject({
    maxResultBytes: z
      .number()
      .int()
      .min(256)
      .max(MAX_RESULT_BYTES)
      .optional()
      .describe("Largest result passed on, in bytes of JSON; replaces TOOL_RESULT_MAX_BYTES for these calls."),
    onOversize: z
      .enum(["error", "truncate"])
      .optional()
      .describe(
        "error (default): a larger result becomes a tool error. truncate: its content is cut to the limit and ends with a marker (its structuredContent is dropped).",
      ),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(MAX_TIMEOUT_MS)
      .optional()
      .describe("Longest wait for an answer or progress; replaces TOOL_CALL_TIMEOUT_MS for these calls."),
  })
  .describe("Limits on calls; a tool's own limits replace its service's, which replace the gateway's.");
export type ToolLimits = z.infer<typeof toolLimits>;

/** MCP's rule for tool names. */
export const toolName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, "tool names are 1 to 128 letters, digits, '_', '-' or '.'");

const argumentValues = z
  .record(z.string().min(1).max(128), z.unknown())
  .refine((values) => Object.keys(values).length <= 64, "at most 64 arguments");

export const toolOverrideBody = z
  .strictObject({
    name: toolName.optional().describe("The name clients see (and virtual servers and permissions select)."),
    title: z.string().min(1).max(256).optional(),
    description: z.string().max(16_384).optional(),
    annotations: z
      .strictObject({
        readOnlyHint: z.boolean().optional(),
        destructiveHint: z.boolean().optional(),
        idempotentHint: z.boolean().optional(),
        openWorldHint: z.boolean().optional(),
      })
      .optional()
      .describe("Replace the backend's hints one by one."),
    hidden: z.boolean().optional().describe("Keeps the tool out of every list; calls to it are refused."),
    fixedArguments: argumentValues
      .optional()
      .describe("Sent on every call and removed from the schema clients see; a client's value is ignored."),
    defaultArguments: argumentValues.optional().describe("Sent when the client leaves the argument out."),
    limits: toolLimits.optional(),
  })
  .refine(
    ({ fixedArguments = {}, defaultArguments = {} }) =>
      !Object.keys(fixedArguments).some((k) => Object.hasOwn(defaultArguments, k)),
    { message: "an argument cannot be both fixed and defaulted", path: ["defaultArguments"] },
  );
export type ToolOverride = z.infer<typeof toolOverrideBody>;
