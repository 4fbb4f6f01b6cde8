/**
 * OpenAPI 3.1 description of the gateway's HTTP API, served at `GET /openapi.json`. Request bodies are
 * converted from the very zod schemas that validate them, so the description cannot drift from what
 * the routes accept; response shapes are zod schemas here, checked against real responses in tests.
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  createVirtualServerBody,
  replaceVirtualServerBody,
  virtualServerName,
} from "../access/virtual-server-schemas.ts";
import { auditPage, auditQuery } from "../audit/audit-schemas.ts";
import { pinningBody, toolLimits, toolOverrideBody } from "../governance/tool-governance.ts";
import { apiKeyId, createApiKeyBody } from "../identity/api-key-schemas.ts";
import { GATEWAY_SERVER_INFO } from "../mcp/gateway-mcp-server.ts";
import { registerBody, serviceName, toolCallBody, updateBody } from "./admin-schemas.ts";
import { serverJsonBody } from "./server-json.ts";

const timestamp = z.string().meta({ format: "date-time" });

const backendHealth = {
  status: z.enum(["unknown", "up", "down"]),
  circuit: z.enum(["closed", "open", "half-open"]).describe("open: calls fail at once without reaching the backend"),
  consecutiveFailures: z.number().int(),
  lastError: z.string().optional(),
  lastCheckAt: timestamp.optional(),
};

const service = z.object({
  name: z.string(),
  url: z.string(),
  tools: z.array(z.string()).describe("Names of the service's tools as the service itself names them."),
  resources: z.array(z.string()).describe("URIs of the service's resources."),
  resourceTemplates: z.array(z.string()).describe("URI templates of the service's resource templates."),
  prompts: z.array(z.string()).describe("Names of the service's prompts as the service itself names them."),
  rejected: z
    .array(
      z.object({
        kind: z.enum(["tool", "resource", "resourceTemplate", "prompt"]),
        name: z.string().describe("The name or URI the service sent, JSON-quoted and shortened."),
        reason: z.string(),
      }),
    )
    .describe("Definitions the service lists that the gateway leaves out as invalid; the others are served."),
  revision: z
    .string()
    .nullable()
    .describe(
      "The MCP revision the gateway speaks with the service, as found at its last registration or update: 2026-07-28, or the 2025 version it agreed on. Null for a stdio service.",
    ),
  createdAt: timestamp,
  updatedAt: timestamp,
  health: z.object(backendHealth),
});

const virtualServer = z.object({
  name: z.string(),
  description: z.string().nullable(),
  path: z.string().describe("Where the server is served, /servers/<name>/mcp."),
  services: z.array(z.string()),
  tools: z.array(z.string()),
  resources: z.array(z.string()),
  prompts: z.array(z.string()),
  allowedScopes: z.array(z.string()),
  allowedRoles: z.array(z.string()),
  mode: z.enum(["direct", "search"]),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const errorResponse = z.object({
  error: z.object({
    code: z.string().describe("Machine-readable, e.g. bad_request, unauthorized, not_found, conflict, bad_gateway."),
    message: z.string(),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe("Which fields failed validation, and why."),
  }),
});

/** A part of /health shown only to callers with the API key or the MCP bearer token. */
const detail = <T extends z.ZodType>(schema: T) =>
  schema.optional().describe("Only with X-API-Key or the MCP bearer token.");

const health = z.object({
  status: z.enum(["ok", "degraded"]),
  service: z.string(),
  database: detail(z.enum(["up", "down"])),
  versionStore: detail(z.object({ kind: z.string(), status: z.enum(["up", "down"]) })),
  catalog: detail(z.object({ version: z.number(), services: z.number(), tools: z.number() })),
  backends: detail(z.array(z.object({ name: z.string(), url: z.string(), ...backendHealth }))),
});

const apiKey = z.object({
  id: z.string().meta({ format: "uuid" }),
  name: z.string(),
  scopes: z.array(z.string()),
  roles: z.array(z.string()),
  rateLimitPerMinute: z.number().int().nullable(),
  expiresAt: timestamp.nullable(),
  createdAt: timestamp,
});

const protectedResourceMetadata = z.object({
  resource: z.string().describe("The endpoint's resource URI: the audience its access tokens must name."),
  authorization_servers: z.array(z.string()),
  scopes_supported: z.array(z.string()),
  bearer_methods_supported: z.array(z.string()),
  resource_name: z.string(),
});

const jsonRpcRequest = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.string().describe("e.g. initialize, tools/list, tools/call"),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** The schemas of the document, by component name. */
const OPENAPI_SCHEMAS = {
  RegisterBody: registerBody,
  ToolOverrideBody: toolOverrideBody,
  ToolLimits: toolLimits,
  PinningBody: pinningBody,
  UpdateBody: updateBody,
  ServiceName: serviceName,
  Service: service,
  ServiceResult: z.object({ service, created: z.boolean().optional() }),
  ServiceList: z.object({ services: z.array(service) }),
  ServerJsonBody: serverJsonBody,
  ImportResult: z.object({
    service,
    created: z.boolean(),
    imported: z.object({ name: z.string(), version: z.string() }).describe("The server.json's own name and version."),
  }),
  Deleted: z.object({ deleted: z.string() }),
  VirtualServerBody: createVirtualServerBody,
  VirtualServerReplaceBody: replaceVirtualServerBody,
  VirtualServerName: virtualServerName,
  VirtualServer: virtualServer,
  VirtualServerResult: z.object({ virtualServer }),
  VirtualServerList: z.object({ virtualServers: z.array(virtualServer) }),
  AuditPage: auditPage,
  Error: errorResponse,
  Health: health,
  JsonRpcRequest: jsonRpcRequest,
  ToolCallBody: toolCallBody,
  Catalog: z.object({
    version: z.number(),
    tools: z.array(z.looseObject({ name: z.string(), service: z.string(), tool: z.string() })),
    prompts: z.array(z.looseObject({ name: z.string(), service: z.string(), prompt: z.string() })),
    services: z.array(z.looseObject({ name: z.string() })),
  }),
  ToolCallResult: z.object({ result: z.looseObject({ isError: z.boolean().optional() }) }),
  CreateApiKeyBody: createApiKeyBody,
  ApiKeyId: apiKeyId,
  ApiKey: apiKey,
  CreatedApiKey: z.object({ key: apiKey, secret: z.string().describe("The key itself (mcpk_...), shown only here.") }),
  ApiKeyList: z.object({ keys: z.array(apiKey) }),
  RevokedApiKey: z.object({ revoked: z.string() }),
  ProtectedResourceMetadata: protectedResourceMetadata,
} satisfies Record<string, z.ZodType>;

type SchemaName = keyof typeof OPENAPI_SCHEMAS;

/** A component as JSON Schema 2020-12; the dialect is declared once for the document, not per schema. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input" });
  return rest;
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ "application/json": { schema: ref(name) } });
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

const ERRORS = {
  BadRequest: "The body, a path parameter or the query is invalid; `issues` names the fields.",
  Unauthorized: "Missing or wrong credentials.",
  Forbidden: "The viewer API key (VIEWER_API_KEY) may only read; writes need the admin API key.",
  NotFound: "No service, virtual server or active API key of that name or id exists.",
  Conflict: "A service of that name is already registered at another URL, or a virtual server of that name exists.",
  PayloadTooLarge: "The body exceeds the size limit.",
  UnsupportedMediaType: "The body is not JSON.",
  BadGateway: "The service could not be reached, or did not list its tools.",
  ServiceUnavailable: "The registry database is unavailable; try again later.",
} as const;

const nameParameter = { name: "name", in: "path", required: true, schema: ref("ServiceName") };
const virtualServerParameter = { name: "name", in: "path", required: true, schema: ref("VirtualServerName") };
const auditParameters = Object.entries(auditQuery.shape).map(([name, schema]) => {
  const { description, ...rest } = jsonSchema(schema);
  return { name, in: "query", required: false, schema: rest, ...(description ? { description } : {}) };
});
const writeSecurity = [{ ApiKey: [] }];
const readSecurity = [{ ApiKey: [] }];
const noSecurity: never[] = [];

/** A governance write under `/services/{name}`: admin key, the service (and tool) in the path, an optional body. */
function governanceWrite(summary: string, { tool, body }: { tool: boolean; body?: SchemaName }) {
  const toolParameter = { name: "tool", in: "path", required: true, schema: { type: "string" } };
  return {
    summary,
    security: writeSecurity,
    parameters: tool ? [nameParameter, toolParameter] : [nameParameter],
    ...(body ? { requestBody: { required: true, content: json(body) } } : {}),
    responses: {
      "200": {
        description: "Done; the gateway serves the change at once.",
        content: { "application/json": { schema: { type: "object" } } },
      },
      "400": errorRef("BadRequest"),
      "401": errorRef("Unauthorized"),
      "403": errorRef("Forbidden"),
      "404": errorRef("NotFound"),
    },
  };
}

export function createOpenApiDocument() {
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "MCP Federation Gateway",
      version: GATEWAY_SERVER_INFO.version,
      description:
        "Federates the tools of registered MCP services behind one MCP endpoint (`/mcp`). The admin API registers, updates, deletes and lists those services. " +
        "Every response carries an `X-Request-Id` header: the request's own when it sent an acceptable one (at most 128 of `[A-Za-z0-9_.-]`), else a generated id.",
    },
    paths: {
      "/register": {
        post: {
          summary: "Register a service and discover its tools",
          description: "Registering the same name and URL again refreshes the tools and answers 200.",
          security: writeSecurity,
          requestBody: { required: true, content: json("RegisterBody") },
          responses: {
            "201": { description: "Registered.", content: json("ServiceResult") },
            "200": { description: "Already registered at this URL; tools refreshed.", content: json("ServiceResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "409": errorRef("Conflict"),
            "413": errorRef("PayloadTooLarge"),
            "415": errorRef("UnsupportedMediaType"),
            "502": errorRef("BadGateway"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/import": {
        post: {
          summary: "Register a server from a server.json of the MCP registry",
          description:
            "Registers the document's first streamable-http remote as POST /register would, with its headers. A document with only sse remotes or only packages (stdio), a required header without a value or an unfilled {variable} is a 400 with the issues, and nothing is stored.",
          security: writeSecurity,
          parameters: [
            {
              name: "name",
              in: "query",
              required: false,
              description:
                "The service name; by default it is derived from the document's name (io.github.user/weather becomes io-github-user-weather).",
              schema: ref("ServiceName"),
            },
          ],
          requestBody: { required: true, content: json("ServerJsonBody") },
          responses: {
            "201": { description: "Registered.", content: json("ImportResult") },
            "200": { description: "Already registered at this URL; tools refreshed.", content: json("ImportResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "409": errorRef("Conflict"),
            "413": errorRef("PayloadTooLarge"),
            "415": errorRef("UnsupportedMediaType"),
            "502": errorRef("BadGateway"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/update/{name}": {
        put: {
          summary: "Change a service and discover its tools again",
          description: "Without a body, only the tools are pulled again.",
          security: writeSecurity,
          parameters: [nameParameter],
          requestBody: { required: false, content: json("UpdateBody") },
          responses: {
            "200": { description: "Updated.", content: json("ServiceResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "404": errorRef("NotFound"),
            "413": errorRef("PayloadTooLarge"),
            "415": errorRef("UnsupportedMediaType"),
            "502": errorRef("BadGateway"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/delete/{name}": {
        delete: {
          summary: "Remove a service and its tools",
          security: writeSecurity,
          parameters: [nameParameter],
          responses: {
            "200": { description: "Deleted.", content: json("Deleted") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "404": errorRef("NotFound"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/keys": {
        post: {
          summary: "Create an API key for a machine client",
          description: "The answer carries the key's secret, which is never shown again.",
          security: writeSecurity,
          requestBody: { required: true, content: json("CreateApiKeyBody") },
          responses: {
            "201": { description: "Created.", content: json("CreatedApiKey") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "413": errorRef("PayloadTooLarge"),
            "415": errorRef("UnsupportedMediaType"),
          },
        },
        get: {
          summary: "List the API keys not revoked, without their secrets",
          security: writeSecurity,
          responses: {
            "200": { description: "The keys, oldest first.", content: json("ApiKeyList") },
            "401": errorRef("Unauthorized"),
          },
        },
      },
      "/keys/{id}": {
        delete: {
          summary: "Revoke an API key on every replica",
          security: writeSecurity,
          parameters: [{ name: "id", in: "path", required: true, schema: ref("ApiKeyId") }],
          responses: {
            "200": { description: "Revoked.", content: json("RevokedApiKey") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "404": errorRef("NotFound"),
          },
        },
      },
      "/.well-known/oauth-protected-resource/mcp": {
        get: {
          summary: "OAuth protected resource metadata of /mcp (RFC 9728), when OAUTH_ISSUER is set",
          description:
            "Also served at `/.well-known/oauth-protected-resource` and, per virtual server, at `/.well-known/oauth-protected-resource/servers/{name}/mcp`.",
          security: noSecurity,
          responses: {
            "200": { description: "The metadata.", content: json("ProtectedResourceMetadata") },
            "404": { description: "OAuth is off." },
          },
        },
      },
      "/services": {
        get: listServices("List the registered services"),
        post: listServices("List the registered services (POST form of the design)"),
      },
      "/services/{name}/tools/{tool}": {
        put: governanceWrite("Set the override (and limits) of one tool, named as its service names it", {
          tool: true,
          body: "ToolOverrideBody",
        }),
        delete: governanceWrite("Remove the override of one tool", { tool: true }),
      },
      "/services/{name}/tools/{tool}/approve": {
        post: governanceWrite("Approve the definition the service lists now for a pinned tool", { tool: true }),
      },
      "/services/{name}/limits": {
        put: governanceWrite("Set the result size and timeout limits of every tool of a service", {
          tool: false,
          body: "ToolLimits",
        }),
      },
      "/services/{name}/pinning": {
        put: governanceWrite("Set the pinning mode of a service: off, warn or hold", {
          tool: false,
          body: "PinningBody",
        }),
      },
      "/services/{name}/pending": {
        get: {
          summary: "The tools of a pinned service that wait for approval",
          security: readSecurity,
          parameters: [nameParameter],
          responses: {
            "200": {
              description: "The pending tools.",
              content: { "application/json": { schema: { type: "object" } } },
            },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "404": errorRef("NotFound"),
          },
        },
      },
      "/whoami": {
        get: {
          summary: "The role of the presented key (admin or viewer)",
          security: writeSecurity,
          responses: {
            "200": { description: "The role.", content: { "application/json": { schema: { type: "object" } } } },
            "401": errorRef("Unauthorized"),
          },
        },
      },
      "/catalog": {
        get: {
          summary: "The catalog as MCP clients see it, with every tool's schema and owner",
          security: writeSecurity,
          responses: {
            "200": { description: "The catalog.", content: json("Catalog") },
            "401": errorRef("Unauthorized"),
          },
        },
      },
      "/events": {
        get: {
          summary: "Server-sent events: the catalog version and backend states, at once and on every change",
          security: writeSecurity,
          responses: {
            "200": {
              description: "An event stream.",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            "401": errorRef("Unauthorized"),
          },
        },
      },
      "/tools/{tool}/call": {
        post: {
          summary: "Call a tool as an operator (the console's try it); needs the admin key",
          security: writeSecurity,
          parameters: [{ name: "tool", in: "path", required: true, schema: { type: "string" } }],
          requestBody: { required: false, content: json("ToolCallBody") },
          responses: {
            "200": { description: "The tool's result as its service sent it.", content: json("ToolCallResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "404": errorRef("NotFound"),
            "422": {
              description: "The backend refused the call with a JSON-RPC error.",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
      "/virtual-servers": {
        post: {
          summary: "Create a virtual server",
          description:
            "A named selection of the catalog, served at /servers/<name>/mcp; see Access control in the README.",
          security: writeSecurity,
          requestBody: { required: true, content: json("VirtualServerBody") },
          responses: {
            "201": { description: "Created.", content: json("VirtualServerResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "409": errorRef("Conflict"),
            "413": errorRef("PayloadTooLarge"),
            "415": errorRef("UnsupportedMediaType"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
        get: {
          summary: "List the virtual servers",
          security: readSecurity,
          responses: {
            "200": { description: "The virtual servers, oldest first.", content: json("VirtualServerList") },
            "401": errorRef("Unauthorized"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/virtual-servers/{name}": {
        get: {
          summary: "Read a virtual server",
          security: readSecurity,
          parameters: [virtualServerParameter],
          responses: {
            "200": { description: "The virtual server.", content: json("VirtualServerResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "404": errorRef("NotFound"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
        put: {
          summary: "Replace a virtual server",
          description: "Replaces everything but the name; lists left out become empty.",
          security: writeSecurity,
          parameters: [virtualServerParameter],
          requestBody: { required: true, content: json("VirtualServerReplaceBody") },
          responses: {
            "200": { description: "Replaced.", content: json("VirtualServerResult") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "404": errorRef("NotFound"),
            "413": errorRef("PayloadTooLarge"),
            "415": errorRef("UnsupportedMediaType"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
        delete: {
          summary: "Delete a virtual server",
          security: writeSecurity,
          parameters: [virtualServerParameter],
          responses: {
            "200": { description: "Deleted.", content: json("Deleted") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
            "403": errorRef("Forbidden"),
            "404": errorRef("NotFound"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/audit": {
        get: {
          summary: "The audit log: admin changes and tool calls, newest first",
          description:
            "Filtered by the query; pages end with `nextCursor` while more rows match. Unknown parameters are refused.",
          security: writeSecurity,
          parameters: auditParameters,
          responses: {
            "200": { description: "One page of events.", content: json("AuditPage") },
            "400": errorRef("BadRequest"),
            "401": errorRef("Unauthorized"),
          },
        },
      },
      "/health": {
        get: {
          summary: "Liveness; with credentials, the state of the stores and backends",
          description:
            "Answers 200 with `degraded` while a store is down, since MCP keeps being served from memory. Without credentials it says only `status` and `service`.",
          security: [{}, { ApiKey: [] }, { Bearer: [] }],
          responses: { "200": { description: "The gateway answers.", content: json("Health") } },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          security: noSecurity,
          responses: {
            "200": {
              description: "Prometheus text exposition format.",
              content: { "text/plain": { schema: { type: "string" } } },
            },
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document",
          security: noSecurity,
          responses: {
            "200": {
              description: "OpenAPI 3.1 document.",
              content: { "application/json": { schema: { type: "object" } } },
            },
          },
        },
      },
      "/mcp": {
        post: {
          summary: "The federated MCP endpoint (Streamable HTTP, stateless)",
          description:
            "JSON-RPC 2.0 as specified by the Model Context Protocol. Clients that accept `text/event-stream` get a stream (with progress notifications); others get one JSON response.",
          security: [{ Bearer: [] }, { OAuth: [] }],
          requestBody: { required: true, content: json("JsonRpcRequest") },
          responses: {
            "200": {
              description: "The JSON-RPC response, as JSON or as an event stream.",
              content: {
                "application/json": { schema: { type: "object" } },
                "text/event-stream": { schema: { type: "string" } },
              },
            },
            "401": {
              description:
                "Missing or invalid credential (a JSON-RPC error body with a `WWW-Authenticate` challenge naming the protected resource metadata and the scope when OAuth is on).",
            },
            "429": {
              description:
                "A tools/call over the caller's rate limit, answered as JSON: JSON-RPC error -32029 whose `data` has `scope`, `limit` and `retryAfterSeconds`, with a `Retry-After` header.",
              headers: {
                "Retry-After": { schema: { type: "integer" }, description: "Seconds until the call may succeed." },
              },
              content: { "application/json": { schema: { type: "object" } } },
            },
            "403": {
              description: 'A valid access token or API key without the needed scope (`error="insufficient_scope"`).',
            },
          },
        },
      },
      "/servers/{name}/mcp": {
        post: {
          summary: "A virtual server's MCP endpoint",
          description:
            "The same endpoint as /mcp, serving the virtual server's selection of the catalog; the caller's lists show only what it may use, and calls outside them are JSON-RPC errors with code -32003.",
          security: [{ Bearer: [] }],
          parameters: [virtualServerParameter],
          requestBody: { required: true, content: json("JsonRpcRequest") },
          responses: {
            "200": {
              description: "The JSON-RPC response, as JSON or as an event stream.",
              content: {
                "application/json": { schema: { type: "object" } },
                "text/event-stream": { schema: { type: "string" } },
              },
            },
            "401": { description: "Missing or wrong bearer token (a JSON-RPC error body)." },
            "404": { description: "No virtual server of that name (a JSON-RPC error body)." },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        ApiKey: {
          type: "apiKey",
          in: "header",
          name: "X-API-Key",
          description: "The admin API key (API_KEY), or for reads the viewer key (VIEWER_API_KEY).",
        },
        Bearer: {
          type: "http",
          scheme: "bearer",
          description: "The MCP bearer token (MCP_BEARER_TOKEN), or an API key (mcpk_...) from POST /keys.",
        },
        OAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An OAuth access token of OAUTH_ISSUER for this gateway's resource URI (OAUTH_AUDIENCE).",
        },
      },
      schemas: Object.fromEntries(Object.entries(OPENAPI_SCHEMAS).map(([name, schema]) => [name, jsonSchema(schema)])),
      responses: Object.fromEntries(
        Object.entries(ERRORS).map(([name, description]) => [name, { description, content: json("Error") }]),
      ),
    },
  };
}

function listServices(summary: string) {
  return {
    summary,
    description: "Readable with the API key or with the MCP bearer token.",
    security: [{ ApiKey: [] }, { Bearer: [] }],
    responses: {
      "200": { description: "The services, oldest first.", content: json("ServiceList") },
      "401": errorRef("Unauthorized"),
    },
  };
}

/** `GET /openapi.json`, open like `/health`: it describes the API, it grants nothing. */
export function createOpenApiRoutes(): Hono {
  const document = createOpenApiDocument();
  const app = new Hono();
  app.get("/openapi.json", (c) => c.json(document));
  return app;
}
