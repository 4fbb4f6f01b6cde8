/**
 * completion/complete and logging/setLevel through the gateway with the SDK client: two services with
 * the same prompt name (the later one's exposed as `<service>__greet`), each with a completable argument
 * and a resource template with a complete callback, beside a service whose prompt has no completions.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, type LoggingLevel, SetLevelRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { NOT_PERMITTED, RESOURCE_NOT_FOUND } from "./json-rpc-errors.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** The levels each service was set to, by its label. */
const levels = new Map<string, LoggingLevel[]>();

/** The gateway registers only services that list tools. */
function withTool(server: McpServer): McpServer {
  server.registerTool("noop", {}, () => ({ content: [] }));
  return server;
}

/** Suggestions carry `label`, so a test can tell which service answered. */
function completingServer(label: string, template: string): McpServer {
  const server = new McpServer({ name: label, version: "1.0.0" }, { capabilities: { logging: {} } });
  server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    levels.set(label, [...(levels.get(label) ?? []), request.params.level]);
    return {};
  });
  server.registerPrompt(
    "greet",
    {
      argsSchema: {
        who: completable(z.string(), (value) => [`${value}-${label}`]),
      },
    },
    ({ who }) => ({ messages: [{ role: "user", content: { type: "text", text: `Hello ${who}` } }] }),
  );
  server.registerResource(
    "item",
    new ResourceTemplate(template, { list: undefined, complete: { id: (value) => [`${value}-${label}`] } }),
    {},
    (uri) => ({ contents: [{ uri: uri.href, text: label }] }),
  );
  return withTool(server);
}

/** A service without completions or logging: the SDK answers both with "method not found". */
function plainServer(): McpServer {
  const server = new McpServer({ name: "plain", version: "1.0.0" });
  server.registerPrompt("plain", { argsSchema: { topic: z.string() } }, ({ topic }) => ({
    messages: [{ role: "user", content: { type: "text", text: topic } }],
  }));
  return withTool(server);
}

let database: TestDatabase;
let versions: VersionStore;
let backends: FixtureBackend[];
let gw: RunningGateway;
let client: Client;
let nobodyKey: string;

beforeAll(async () => {
  backends = [
    startFixtureBackend(() => completingServer("first", "first://items/{id}")),
    startFixtureBackend(() => completingServer("second", "second://items/{id}")),
    startFixtureBackend(plainServer),
  ];
  database = await createTestDatabase();
  versions = await createTestVersionStore();
  gw = await startGateway({ database, versionStore: versions });
  for (const [name, backend] of [
    ["first-service", backends[0]],
    ["second-service", backends[1]],
    ["plain-service", backends[2]],
  ] as const)
    expect((await gw.admin("POST", "/register", { name, url: backend?.url })).status).toBe(201);
  const created = await gw.admin("POST", "/keys", { name: "nobody", scopes: ["mcp:tools"] });
  expect(created.status).toBe(201);
  nobodyKey = ((await created.json()) as { secret: string }).secret;
  client = await gw.client();
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all((backends ?? []).map((b) => b.stop()));
  await versions?.close();
  await database?.close();
});

const values = async (request: Promise<{ completion: { values: string[] } }>) => (await request).completion.values;

describe("completion/complete", () => {
  test("is announced", () => {
    expect(client.getServerCapabilities()?.completions).toEqual({});
  });

  test("a prompt's argument is completed by the service that owns it, under its own name", async () => {
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toEqual(["greet", "second-service__greet", "plain"]);
    const complete = (name: string) =>
      values(client.complete({ ref: { type: "ref/prompt", name }, argument: { name: "who", value: "al" } }));
    expect(await complete("greet")).toEqual(["al-first"]);
    expect(await complete("second-service__greet")).toEqual(["al-second"]);
  });

  test("a resource template's variable is completed by the service that owns the template", async () => {
    const complete = (uri: string) =>
      values(client.complete({ ref: { type: "ref/resource", uri }, argument: { name: "id", value: "4" } }));
    expect(await complete("first://items/{id}")).toEqual(["4-first"]);
    expect(await complete("second://items/{id}")).toEqual(["4-second"]);
  });

  test("a service without completions offers no suggestions", async () => {
    const request = client.complete({
      ref: { type: "ref/prompt", name: "plain" },
      argument: { name: "topic", value: "x" },
    });
    expect(await values(request)).toEqual([]);
  });

  test("what no service has is unknown, and what the caller may not use is refused", async () => {
    const argument = { name: "who", value: "a" };
    await expect(client.complete({ ref: { type: "ref/prompt", name: "nope" }, argument })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
    });
    await expect(
      client.complete({ ref: { type: "ref/resource", uri: "none://{id}" }, argument }),
    ).rejects.toMatchObject({ code: RESOURCE_NOT_FOUND });
    const nobody = await gw.client(nobodyKey);
    await expect(nobody.complete({ ref: { type: "ref/prompt", name: "greet" }, argument })).rejects.toMatchObject({
      code: NOT_PERMITTED,
    });
    await expect(
      nobody.complete({ ref: { type: "ref/resource", uri: "first://items/{id}" }, argument }),
    ).rejects.toMatchObject({ code: NOT_PERMITTED });
  });
});

describe("logging/setLevel", () => {
  test("reaches every service of the caller's view that takes it, and the client is answered", async () => {
    expect(client.getServerCapabilities()?.logging).toEqual({});
    expect(await client.setLoggingLevel("warning")).toEqual({});
    expect(levels.get("first")).toEqual(["warning"]);
    expect(levels.get("second")).toEqual(["warning"]);
  });

  test("is not sent to services outside the caller's view", async () => {
    const nobody = await gw.client(nobodyKey);
    expect(await nobody.setLoggingLevel("debug")).toEqual({});
    expect(levels.get("first")).toEqual(["warning"]);
  });
});
