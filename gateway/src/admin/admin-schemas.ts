/**
 * Request bodies of the admin API. The same schemas validate requests and describe them to clients.
 */
import { z } from "zod";
import type { Registration } from "../registry/registry-service.ts";

export const serviceName = z
  .string()
  .min(1, "name must not be empty")
  .max(63, "name must be at most 63 characters")
  .regex(/^[a-z0-9_-]+$/, "name may contain only lowercase letters, digits, '-' and '_'")
  .describe("Unique name of the service, e.g. shopping-service.");

const serviceUrl = z
  .string()
  .max(2048, "url must be at most 2048 characters")
  .refine((value) => URL.canParse(value), "url must be an absolute URL")
  .refine(
    (value) => !URL.canParse(value) || ["http:", "https:"].includes(new URL(value).protocol),
    "url must use http or https",
  )
  .refine((value) => {
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === "" && url.password === "";
  }, "url must not contain credentials; pass them as headers instead")
  // The refinements above have no JSON Schema form, so the description states them for clients.
  .describe(
    "Absolute http(s) URL of the service without credentials, e.g. http://localhost:3002 (its MCP endpoint is /mcp unless the URL names a path).",
  );

/** Headers a gateway must control itself, so a registration cannot set them. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "accept",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-connection",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
  "x-request-id",
]);

const backendHeaders = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "header names must be HTTP tokens of at most 128 characters")
      .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), "this header is set by the gateway itself"),
    z
      .string()
      .max(8192, "header values must be at most 8192 characters")
      .regex(/^[^\r\n\0]*$/, "header values must not contain line breaks"),
  )
  .refine((headers) => Object.keys(headers).length <= 32, "at most 32 headers")
  .describe("Headers sent to this backend, e.g. its own Authorization. Stored encrypted, never returned.");

const noNul = /^[^\0]*$/;

const stdioCommand = z
  .string()
  .min(1, "command must not be empty")
  .max(1024, "command must be at most 1024 characters")
  .regex(noNul, "command must not contain NUL")
  .describe("Program the gateway runs as a stdio MCP server; it must be one of the gateway's STDIO_COMMANDS.");

const stdioArgs = z
  .array(
    z.string().max(4096, "arguments must be at most 4096 characters").regex(noNul, "arguments must not contain NUL"),
  )
  .max(64, "at most 64 arguments")
  .describe("Arguments of the command. Shown by the API: put secrets in env.");

const stdioEnv = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "variable names must be letters, digits and '_'"),
    z.string().max(8192, "variable values must be at most 8192 characters").regex(noNul, "values must not contain NUL"),
  )
  .refine((env) => Object.keys(env).length <= 64, "at most 64 variables")
  .describe("Environment variables of the process, besides PATH, HOME and the like. Stored encrypted, never returned.");

const stdioCwd = z
  .string()
  .min(1)
  .max(1024, "cwd must be at most 1024 characters")
  .regex(noNul, "cwd must not contain NUL")
  .describe("Working directory of the process; the gateway's own when left out.");

const URL_FIELDS = ["url", "headers"] as const;
const STDIO_FIELDS = ["command", "args", "env", "cwd"] as const;

/**
 * `POST /register`. A service is reached by exactly one of `url` (HTTP) and `command` (stdio, run by
 * every replica). One object rather than a union of the two forms, so that a bad field is named in the
 * issues and the JSON Schema stays a plain object; the transform checks the choice and hands the
 * registry the form that was chosen.
 */
export const registerBody = z
  .strictObject({
    name: serviceName,
    url: serviceUrl.optional(),
    headers: backendHeaders.optional(),
    command: stdioCommand.optional(),
    args: stdioArgs.optional(),
    env: stdioEnv.optional(),
    cwd: stdioCwd.optional(),
  })
  .describe("Give url (and headers) for an HTTP service, or command (and args, env, cwd) for a stdio one.")
  .transform((body, ctx): Registration => {
    const { name, url, headers, command, args, env, cwd } = body;
    const refuse = (field: string, message: string) => {
      ctx.issues.push({ code: "custom", input: body, path: [field], message });
      return z.NEVER;
    };
    if (url !== undefined && command !== undefined) return refuse("command", "give either url or command, not both");
    if (command !== undefined) {
      const stray = URL_FIELDS.find((field) => body[field] !== undefined);
      return stray ? refuse(stray, `${stray} is only for a service reached by url`) : { name, command, args, env, cwd };
    }
    if (url === undefined) return refuse("url", "give url (an HTTP service) or command (a stdio service)");
    const stray = STDIO_FIELDS.find((field) => body[field] !== undefined);
    return stray ? refuse(stray, `${stray} is only for a service run by command`) : { name, url, headers };
  });

export const updateBody = z
  .strictObject({
    url: serviceUrl.optional(),
    headers: backendHeaders.optional().describe("Replaces the stored headers; {} removes them."),
    command: stdioCommand.optional(),
    args: stdioArgs.optional(),
    env: stdioEnv.optional().describe("Replaces the stored environment; {} removes it. Stored encrypted."),
    cwd: stdioCwd.optional(),
  })
  .refine(
    (body) => !(URL_FIELDS.some((f) => body[f] !== undefined) && STDIO_FIELDS.some((f) => body[f] !== undefined)),
    "give either url and headers or command, args, env and cwd, not both",
  );

/** Body of `POST /tools/:name/call`: what an operator's "try it" sends. */
export const toolCallBody = z
  .object({ arguments: z.record(z.string(), z.unknown()).optional().describe("The tool's arguments.") })
  .strict();
