/**
 * `server.json` of the official MCP registry, as far as the gateway can use it: a server's streamable
 * HTTP remote becomes a registration (a name, the URL, the headers with their values). Other transports
 * cannot be federated here, so documents that offer only those are refused with the reason: SSE remotes
 * are the deprecated transport the gateway does not speak, and packages run locally over stdio.
 *
 * Everything else in the document (title, repository, icons, _meta, ...) is accepted and ignored.
 * Format: https://github.com/modelcontextprotocol/registry/tree/main/docs/reference/server-json
 */
import { z } from "zod";
import { HttpError, toIssues, type ValidationIssue } from "../http-error.ts";
import { registerBody, serviceName } from "./admin-schemas.ts";

/** A `{name}` in a URL or header value is filled from `variables`, as the format defines. */
const variables = z
  .record(
    z.string(),
    z.looseObject({
      value: z.string().optional(),
      default: z.string().optional(),
      description: z.string().optional(),
    }),
  )
  .optional();

const header = z.looseObject({
  name: z.string().min(1, "header name must not be empty"),
  value: z.string().optional(),
  default: z.string().optional(),
  isRequired: z.boolean().default(false),
  isSecret: z.boolean().optional(),
  description: z.string().optional(),
  variables,
});

const remote = z.looseObject({
  type: z.string().min(1, "remote type must not be empty"),
  url: z.string().min(1, "remote url must not be empty"),
  headers: z.array(header).max(32, "at most 32 headers").default([]),
  variables,
});

const STREAMABLE_HTTP = "streamable-http";

export const serverJsonBody = z
  .looseObject({
    $schema: z.string().optional(),
    name: z
      .string()
      .min(3, "name must be at least 3 characters")
      .max(200, "name must be at most 200 characters")
      .regex(
        /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/,
        "name must look like <namespace>/<server>, e.g. io.github.user/weather",
      ),
    description: z.string().min(1, "description must not be empty"),
    version: z.string().min(1, "version must not be empty").max(255, "version must be at most 255 characters"),
    title: z.string().optional(),
    remotes: z.array(remote).max(16, "at most 16 remotes").default([]),
    packages: z.array(z.unknown()).default([]),
  })
  .superRefine((doc, ctx) => {
    if (doc.remotes.some((r) => r.type === STREAMABLE_HTTP)) return;
    if (doc.remotes.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: doc.packages.length > 0 ? ["packages"] : ["remotes"],
        message:
          doc.packages.length > 0
            ? "packages run locally over stdio and cannot be imported here; the gateway federates servers reachable over streamable HTTP, so add a streamable-http remote"
            : "a streamable-http remote is needed",
      });
      return;
    }
    doc.remotes.forEach((r, i) => {
      ctx.addIssue({
        code: "custom",
        path: ["remotes", i, "type"],
        message:
          r.type === "sse"
            ? "sse remotes are not supported: the gateway speaks streamable HTTP only"
            : `"${r.type}" remotes are not supported: the gateway speaks streamable HTTP only`,
      });
    });
  })
  .describe(
    "A server.json document of the official MCP registry. Its first streamable-http remote is registered: its URL (with {variables} filled from their value or default) and its headers (value, else default; a required header needs one). sse remotes and packages cannot be imported.",
  );

export type ServerJson = z.infer<typeof serverJsonBody>;

export interface Registration {
  name: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * The registration a document asks for, named `name` when given, else after the document's name
 * (`io.github.user/weather` becomes `io-github-user-weather`).
 * @throws HttpError bad_request with the issues when the document leaves something out the gateway needs.
 */
export function registrationOf(doc: ServerJson, name: string | undefined): Registration {
  const index = doc.remotes.findIndex((r) => r.type === STREAMABLE_HTTP);
  const chosen = doc.remotes[index];
  if (!chosen) throw new Error("serverJsonBody admits only documents with a streamable-http remote");
  const at = `remotes.${index}`;
  const issues: ValidationIssue[] = [];
  const url = fill(chosen.url, chosen.variables, `${at}.url`, issues);
  const headers: Record<string, string> = {};
  chosen.headers.forEach((h, i) => {
    const raw = h.value ?? h.default;
    if (raw === undefined) {
      if (h.isRequired)
        issues.push({
          path: `${at}.headers.${i}.value`,
          message: `the required header "${h.name}" has no value; set "value" in the document before importing it`,
        });
      return;
    }
    headers[h.name] = fill(raw, h.variables, `${at}.headers.${i}.value`, issues);
  });
  const registration = { name: name ?? derivedName(doc.name), url, headers };
  if (issues.length === 0) {
    const checked = registerBody.safeParse(registration);
    if (checked.success) return registration;
    issues.push(...toIssues(checked.error).map((issue) => ({ ...issue, path: documentPath(issue.path, at) })));
  }
  throw new HttpError("bad_request", "server.json cannot be imported", issues);
}

/** Where a field of the registration came from in the document, for the issues. */
function documentPath(path: string, remote: string): string {
  if (path === "name") return "name (derived; pass ?name= to choose one)";
  if (path === "url") return `${remote}.url`;
  if (path.startsWith("headers")) return `${remote}.${path}`;
  return path;
}

/** A valid service name made of the document's name, when one can be; `serviceName` reports it otherwise. */
function derivedName(documentName: string): string {
  return documentName
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-|-$/g, "");
}

function fill(
  template: string,
  vars: ServerJson["remotes"][number]["variables"],
  path: string,
  issues: ValidationIssue[],
): string {
  return template.replace(/\{([^{}]+)\}/g, (whole, key: string) => {
    const variable = vars?.[key];
    const value = variable?.value ?? variable?.default;
    if (value !== undefined) return value;
    issues.push({ path, message: `the variable {${key}} has no value or default in the document` });
    return whole;
  });
}

/** The `?name=` override, when given. */
export function importName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const parsed = serviceName.safeParse(raw);
  if (!parsed.success) throw new HttpError("bad_request", "invalid ?name=", toIssues(parsed.error));
  return parsed.data;
}
