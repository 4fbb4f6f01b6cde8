import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import { z } from "zod";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import {
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { pinningBody, toolOverrideBody } from "../governance/tool-governance.ts";
import { registerBody, serviceName, updateBody } from "./admin-schemas.ts";
import { createOpenApiDocument } from "./openapi.ts";
import { serverJsonBody } from "./server-json.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** What z.toJSONSchema says of a live schema, without the dialect the document declares once. */
function expectedSchema(schema: z.ZodType) {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: "input" });
  expect($schema).toBe("https://json-schema.org/draft/2020-12/schema");
  return rest;
}

/** Follows a local `$ref` such as `#/components/schemas/Service`. */
function resolve(document: object, ref: string): unknown {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
}

function refsIn(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === "$ref" && typeof value === "string" ? [value] : refsIn(value),
  );
}

describe("the OpenAPI document", () => {
  const document = createOpenApiDocument();

  test("is OpenAPI 3.1 with the admin, health, metrics and MCP paths", () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBeString();
    expect(document.info.version).toBeString();
    const methods = Object.fromEntries(
      Object.entries(document.paths).map(([path, item]) => [path, Object.keys(item).sort()]),
    );
    expect(methods).toMatchObject({
      "/register": ["post"],
      "/import": ["post"],
      "/update/{name}": ["put"],
      "/delete/{name}": ["delete"],
      "/services": ["get", "post"],
      "/audit": ["get"],
      "/health": ["get"],
      "/metrics": ["get"],
      "/mcp": ["post"],
      "/virtual-servers": ["get", "post"],
      "/virtual-servers/{name}": ["delete", "get", "put"],
      "/servers/{name}/mcp": ["post"],
      "/keys": ["get", "post"],
      "/keys/{id}": ["delete"],
      "/.well-known/oauth-protected-resource/mcp": ["get"],
      "/services/{name}/tools/{tool}": ["delete", "put"],
      "/services/{name}/tools/{tool}/approve": ["post"],
      "/services/{name}/limits": ["put"],
      "/services/{name}/pinning": ["put"],
      "/services/{name}/pending": ["get"],
    });
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item) as { responses: Record<string, unknown> }[]) {
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
      }
    }
  });

  test("request bodies are the JSON Schema of the zod schemas that validate them", () => {
    const { schemas } = document.components;
    expect(schemas.RegisterBody).toEqual(expectedSchema(registerBody));
    expect(schemas.UpdateBody).toEqual(expectedSchema(updateBody));
    expect(schemas.ServiceName).toEqual(expectedSchema(serviceName));
    expect(schemas.ServerJsonBody).toEqual(expectedSchema(serverJsonBody));
    expect(schemas.ToolOverrideBody).toEqual(expectedSchema(toolOverrideBody));
    expect(schemas.PinningBody).toEqual(expectedSchema(pinningBody));
    expect(schemas.RegisterBody).toMatchObject({ required: ["name"], additionalProperties: false });

    const bodyRef = (path: keyof typeof document.paths, method: string) =>
      (
        document.paths[path] as Record<
          string,
          { requestBody: { content: Record<string, { schema: { $ref: string } }> } }
        >
      )[method]!.requestBody.content["application/json"]!.schema.$ref;
    expect(resolve(document, bodyRef("/register", "post"))).toBe(schemas.RegisterBody);
    expect(resolve(document, bodyRef("/update/{name}", "put"))).toBe(schemas.UpdateBody);
    expect(document.paths["/update/{name}"].put.parameters[0]).toMatchObject({
      name: "name",
      in: "path",
      required: true,
    });
  });

  test("declares the API key and bearer schemes, and the error shape", () => {
    expect(document.components.securitySchemes).toEqual({
      ApiKey: expect.objectContaining({ type: "apiKey", in: "header", name: "X-API-Key" }),
      Bearer: expect.objectContaining({ type: "http", scheme: "bearer" }),
      OAuth: expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    });
    expect(document.paths["/register"].post.security).toEqual([{ ApiKey: [] }]);
    expect(document.paths["/services"].get.security).toEqual([{ ApiKey: [] }, { Bearer: [] }]);
    expect(document.paths["/mcp"].post.security).toEqual([{ Bearer: [] }, { OAuth: [] }]);
    expect(document.paths["/keys"].post.security).toEqual([{ ApiKey: [] }]);
    expect(document.paths["/metrics"].get.security).toEqual([]);
    expect(document.components.schemas.Error).toMatchObject({
      properties: { error: { required: ["code", "message"], properties: { issues: { type: "array" } } } },
    });
  });

  test("every $ref resolves", () => {
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(resolve(document, ref)).toBeDefined();
  });
});

describe("GET /openapi.json on a running gateway", () => {
  let database: TestDatabase;
  let versions: VersionStore;
  let shopping: BackendProcess;
  let gw: RunningGateway;
  let document: ReturnType<typeof createOpenApiDocument>;
  let validator: (name: string, value: unknown) => void;

  beforeAll(async () => {
    [database, shopping] = await Promise.all([createTestDatabase(), startBackend("shopping")]);
    versions = await createTestVersionStore();
    gw = await startGateway({ database, versionStore: versions });
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    document = await res.json();
    // Formats are not checked: ajv needs a plugin for them, and the zod schemas already own the rules.
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    validator = (name, value) => {
      const schema = document.components.schemas[name];
      if (!schema) throw new Error(`the document has no schema ${name}`);
      const validate = ajv.compile(schema);
      if (!validate(value)) throw new Error(`${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value)}`);
    };
  });

  afterAll(async () => {
    await gw?.stop();
    await shopping?.stop();
    await versions?.close();
    await database?.close();
  });

  test("is served without credentials and equals the built document", () => {
    expect(document).toEqual(JSON.parse(JSON.stringify(createOpenApiDocument())));
  });

  test("real responses match the documented shapes", async () => {
    const registered = await gw.admin("POST", "/register", { name: "shopping-service", url: shopping.url });
    expect(registered.status).toBe(201);
    validator("ServiceResult", await registered.json());
    validator("ServiceResult", await (await gw.admin("PUT", "/update/shopping-service")).json());
    validator("ServiceList", await (await gw.admin("GET", "/services")).json());
    const viaBearer = await fetch(`${gw.url}/services`, { headers: { Authorization: `Bearer ${TEST_BEARER}` } });
    validator("ServiceList", await viaBearer.json());
    validator("Health", await (await fetch(`${gw.url}/health`)).json());
    validator("Health", await (await gw.admin("GET", "/health")).json());

    const invalid = await gw.admin("POST", "/register", { name: "Not Valid!", url: "ftp://x" });
    expect(invalid.status).toBe(400);
    const invalidBody = await invalid.json();
    expect(invalidBody.error.issues.length).toBeGreaterThan(0);
    validator("Error", invalidBody);
    validator("Error", await (await fetch(`${gw.url}/register`, { method: "POST" })).json());
    validator("Error", await (await gw.admin("DELETE", "/delete/ghost")).json());

    const imported = await gw.admin("POST", "/import?name=imported-shopping", {
      name: "io.github.test/shopping",
      description: "The shopping backend.",
      version: "1.0.0",
      remotes: [{ type: "streamable-http", url: `${shopping.url}/mcp` }],
    });
    expect(imported.status).toBe(201);
    validator("ImportResult", await imported.json());
    validator("Deleted", await (await gw.admin("DELETE", "/delete/imported-shopping")).json());
    validator("Deleted", await (await gw.admin("DELETE", "/delete/shopping-service")).json());

    const created = await (await gw.admin("POST", "/keys", { name: "documented", rateLimitPerMinute: 5 })).json();
    validator("CreatedApiKey", created);
    validator("ApiKeyList", await (await gw.admin("GET", "/keys")).json());
    validator("RevokedApiKey", await (await gw.admin("DELETE", `/keys/${created.key.id}`)).json());
    validator("Error", await (await gw.admin("DELETE", `/keys/${created.key.id}`)).json());
    validator("AuditPage", await (await gw.admin("GET", "/audit?limit=2")).json());
    validator("Error", await (await gw.admin("GET", "/audit?kind=nope")).json());
  });

  test("the validator rejects a response of another shape", () => {
    expect(() => validator("ServiceList", { services: [{ name: "x" }] })).toThrow(/required/);
    expect(() => validator("Error", { error: { message: "no code" } })).toThrow(/code/);
  });
});
