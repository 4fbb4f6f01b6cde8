/**
 * Request bodies of the admin API. The same schemas validate requests and describe them to clients.
 */
import { z } from "zod";

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

export const registerBody = z.strictObject({ name: serviceName, url: serviceUrl, headers: backendHeaders.optional() });
export const updateBody = z.strictObject({
  url: serviceUrl.optional(),
  headers: backendHeaders.optional().describe("Replaces the stored headers; {} removes them."),
});

/** Body of `POST /tools/:name/call`: what an operator's "try it" sends. */
export const toolCallBody = z
  .object({ arguments: z.record(z.string(), z.unknown()).optional().describe("The tool's arguments.") })
  .strict();
