/**
 * `POST /import` on each store: a server.json of the MCP registry becomes a registered service whose
 * tools the SDK client calls through the gateway, with the document's headers sent to the backend; a
 * document the gateway cannot use is a 400 with the issues, and nothing is stored or announced.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
  TEST_API_KEY,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

function weatherServer(): McpServer {
  const server = new McpServer({ name: "weather", version: "1.0.0" });
  server.registerTool("forecast", { description: "Tomorrow's weather." }, async () => ({
    content: [{ type: "text", text: "sunny" }],
  }));
  return server;
}

/** A server.json whose remote is `backend`, its host given as a variable with a default. */
function serverJson(backend: FixtureBackend, extra: Record<string, unknown> = {}) {
  const host = new URL(backend.url).host;
  return {
    $schema: "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
    name: "io.github.test/weather",
    title: "Weather",
    description: "Forecasts for anywhere.",
    version: "1.2.0",
    repository: { url: "https://github.com/test/weather", source: "github" },
    remotes: [
      { type: "sse", url: `http://${host}/sse` },
      {
        type: "streamable-http",
        url: "http://{host}/mcp",
        variables: { host: { description: "Where it runs", default: host } },
        headers: [
          { name: "X-Weather-Key", value: "wk-123", isRequired: true, isSecret: true, description: "API key" },
          { name: "X-Optional", isRequired: false, description: "Left out without a value" },
        ],
      },
    ],
    ...extra,
  };
}

describe.each(testDatabaseKinds())("POST /import on %s", (kind) => {
  let database: TestDatabase;
  let versions: VersionStore;
  let gw: RunningGateway;
  let backend: FixtureBackend;
  const received: (string | null)[] = [];

  beforeAll(async () => {
    backend = startFixtureBackend(weatherServer, {
      intercept: (request) => {
        if (new URL(request.url).pathname === "/mcp") received.push(request.headers.get("x-weather-key"));
        return undefined;
      },
    });
    database = await createTestDatabase({ kind });
    versions = await createTestVersionStore();
    // Backend headers are stored encrypted, so they need a key.
    gw = await startGateway({ database, versionStore: versions, settings: { secretsKey: "import-test-secrets-key" } });
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.stop();
    await versions?.close();
    await database?.close();
  });

  const post = (body: string, query = "") =>
    fetch(`${gw.url}/import${query}`, {
      method: "POST",
      headers: { "X-API-Key": TEST_API_KEY, "Content-Type": "application/json" },
      body,
    });

  test("registers the streamable HTTP remote, whose tools are then called through the gateway", async () => {
    received.length = 0;
    const response = await post(JSON.stringify(serverJson(backend)));
    expect({ status: response.status, body: await response.json() }).toMatchObject({
      status: 201,
      body: {
        service: { name: "io-github-test-weather", url: `${backend.url}/mcp`, tools: ["forecast"] },
        created: true,
        imported: { name: "io.github.test/weather", version: "1.2.0" },
      },
    });
    expect(received.length).toBeGreaterThan(0);
    expect(new Set(received)).toEqual(new Set(["wk-123"]));

    const client: Client = await gw.client();
    expect(firstText(await client.callTool({ name: "forecast" }))).toBe("sunny");
    expect(received.at(-1)).toBe("wk-123");
  });

  test("the same document again refreshes (200); ?name= registers it under another name; another URL conflicts", async () => {
    const again = await post(JSON.stringify(serverJson(backend)));
    expect({ status: again.status, created: ((await again.json()) as { created: boolean }).created }).toEqual({
      status: 200,
      created: false,
    });
    const named = await post(JSON.stringify(serverJson(backend)), "?name=weather-copy");
    expect({ status: named.status, body: await named.json() }).toMatchObject({
      status: 201,
      body: { service: { name: "weather-copy" } },
    });
    const elsewhere = serverJson(backend);
    const streamable = elsewhere.remotes[1] as { url: string };
    streamable.url = "http://{host}/other/mcp";
    expect((await post(JSON.stringify(elsewhere))).status).toBe(409);
  });

  test("a document the gateway cannot use is a 400 with the issues, and nothing is stored or announced", async () => {
    const valid = serverJson(backend);
    const [sse, streamable] = valid.remotes as unknown as [Record<string, unknown>, Record<string, unknown>];
    const withHeaders = (headers: unknown[]) => ({ ...valid, remotes: [{ ...streamable, headers }] });
    const bad: { case: string; body: string; query?: string; says: string }[] = [
      {
        case: "only an sse remote",
        body: JSON.stringify({ ...valid, remotes: [sse] }),
        says: "sse remotes are not supported",
      },
      {
        case: "only packages",
        body: JSON.stringify({
          ...valid,
          remotes: undefined,
          packages: [{ registryType: "npm", identifier: "@test/weather", transport: { type: "stdio" } }],
        }),
        says: "stdio",
      },
      { case: "neither", body: JSON.stringify({ ...valid, remotes: [] }), says: "streamable-http remote is needed" },
      {
        case: "a required header without a value",
        body: JSON.stringify(withHeaders([{ name: "Authorization", isRequired: true, isSecret: true }])),
        says: "remotes.0.headers.0.value",
      },
      {
        case: "a header the gateway sets itself",
        body: JSON.stringify(withHeaders([{ name: "Host", value: "evil.test" }])),
        says: "set by the gateway itself",
      },
      {
        case: "a variable without a value",
        body: JSON.stringify({ ...valid, remotes: [{ ...streamable, variables: {} }] }),
        says: "{host}",
      },
      {
        case: "a URL that is not http",
        body: JSON.stringify({ ...valid, remotes: [{ ...streamable, url: "ftp://{host}/mcp" }] }),
        says: "http or https",
      },
      { case: "no name", body: JSON.stringify({ ...valid, name: undefined }), says: '"path":"name"' },
      { case: "a name without a namespace", body: JSON.stringify({ ...valid, name: "weather" }), says: "namespace" },
      {
        case: "a name too long to become a service name",
        body: JSON.stringify({ ...valid, name: `io.github.test/${"w".repeat(80)}` }),
        says: "?name=",
      },
      { case: "no version", body: JSON.stringify({ ...valid, version: undefined }), says: "version" },
      { case: "a bad ?name=", body: JSON.stringify(valid), query: "?name=Not%20Valid", says: "lowercase" },
      { case: "not JSON", body: "{", says: "not valid JSON" },
      { case: "not an object", body: "[]", says: "object" },
    ];
    const services = JSON.stringify(await (await gw.admin("GET", "/services")).json());
    const version = await versions.current();
    for (const c of bad) {
      const response = await post(c.body, c.query);
      const body = (await response.json()) as { error: { code: string; issues?: unknown[] } };
      expect({ case: c.case, status: response.status, code: body.error.code }).toEqual({
        case: c.case,
        status: 400,
        code: "bad_request",
      });
      expect({ case: c.case, error: JSON.stringify(body.error) }).toEqual({
        case: c.case,
        error: expect.stringContaining(c.says),
      });
    }
    expect(JSON.stringify(await (await gw.admin("GET", "/services")).json())).toBe(services);
    expect(await versions.current()).toBe(version);
  });
});
