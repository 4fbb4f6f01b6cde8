/**
 * OpenAPI 3.1 description of the gateway's HTTP API, served at `GET /openapi.json`. Request bodies are
 * converted from the very zod schemas that validate them, so the description cannot drift from what
 * the routes accept; response shapes are zod schemas here, checked against real responses in tests.
 */
import { Hono } from "hono";
import { z } from "zod";
import { GATEWAY_SERVER_INFO } from "../mcp/gateway-mcp-server.ts";
import { registerBody, serviceName, updateBody } from "./admin-schemas.ts";

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
  createdAt: timestamp,
  updatedAt: timestamp,
  health: z.object(backendHealth),
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

const health = z.object({
  status: z.enum(["ok", "degraded"]),
  service: z.string(),
  database: z.enum(["up", "down"]),
  versionStore: z.object({ kind: z.string(), status: z.enum(["up", "down"]) }),
  catalog: z.object({ version: z.number(), services: z.number(), tools: z.number() }),
  backends: z.array(z.object({ name: z.string(), url: z.string(), ...backendHealth })),
});

const jsonRpcRequest = z.object({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.string().describe("e.g. initialize, tools/list, tools/call"),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** The schemas of the document, by component name. */
export const OPENAPI_SCHEMAS = {
  RegisterBody: registerBody,
  UpdateBody: updateBody,
  ServiceName: serviceName,
  Service: service,
  ServiceResult: z.object({ service, created: z.boolean().optional() }),
  ServiceList: z.object({ services: z.array(service) }),
  Deleted: z.object({ deleted: z.string() }),
  Error: errorResponse,
  Health: health,
  JsonRpcRequest: jsonRpcRequest,
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
  BadRequest: "The body or a path parameter is invalid; `issues` names the fields.",
  Unauthorized: "Missing or wrong credentials.",
  NotFound: "No service of that name is registered.",
  Conflict: "A service of that name is already registered at another URL.",
  PayloadTooLarge: "The body exceeds the size limit.",
  UnsupportedMediaType: "The body is not JSON.",
  BadGateway: "The service could not be reached, or did not list its tools.",
  ServiceUnavailable: "The registry database is unavailable; try again later.",
} as const;

const nameParameter = { name: "name", in: "path", required: true, schema: ref("ServiceName") };
const writeSecurity = [{ ApiKey: [] }];
const noSecurity: never[] = [];

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
            "404": errorRef("NotFound"),
            "503": errorRef("ServiceUnavailable"),
          },
        },
      },
      "/services": {
        get: listServices("List the registered services"),
        post: listServices("List the registered services (POST form of the design)"),
      },
      "/health": {
        get: {
          summary: "Liveness and the state of the stores and backends",
          description: "Answers 200 with `degraded` while a store is down, since MCP keeps being served from memory.",
          security: noSecurity,
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
          security: [{ Bearer: [] }],
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
              description: "Missing or wrong bearer token (a JSON-RPC error body with a `WWW-Authenticate` challenge).",
            },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        ApiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "The admin API key (API_KEY)." },
        Bearer: { type: "http", scheme: "bearer", description: "The MCP bearer token (MCP_BEARER_TOKEN)." },
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
