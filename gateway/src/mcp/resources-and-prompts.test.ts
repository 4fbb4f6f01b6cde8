/**
 * Federated resources and prompts, and paged lists, through the gateway with the SDK client: the real
 * shopping service (tools only) beside two instances of a fixture service that has static resources, a
 * resource template and prompts with arguments.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StreamableHTTPClientTransport, Client as V2Client } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  connectClient,
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { RESOURCE_NOT_FOUND } from "./json-rpc-errors.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** A service whose answers carry `label`, so a test can tell which instance answered. */
function createFixtureServer(label: string): McpServer {
  const server = new McpServer({ name: "fixture-service", version: "1.0.0" });
  server.registerTool("fixtureEcho", { description: "Echoes its label" }, () => ({
    content: [{ type: "text", text: label }],
  }));
  server.registerTool("fixtureCount", { description: "Counts to three" }, () => ({
    content: [{ type: "text", text: "1 2 3" }],
  }));
  server.registerResource("readme", "fixture://readme", { title: "Read me", mimeType: "text/markdown" }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/markdown", text: `# Fixture (${label})` }],
  }));
  server.registerResource("settings", "fixture://settings", { mimeType: "application/json" }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ label }) }],
  }));
  server.registerResource(
    "user-profile",
    new ResourceTemplate("fixture://users/{id}/profile", { list: undefined }),
    { description: "A user's profile", mimeType: "application/json" },
    (uri, { id }) => ({
      contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ id, label }) }],
    }),
  );
  server.registerPrompt(
    "greet",
    { title: "Greet someone", argsSchema: { who: z.string().describe("Whom to greet"), tone: z.string().optional() } },
    ({ who, tone }) => ({
      messages: [
        { role: "user", content: { type: "text", text: `Greet ${who}${tone ? ` in a ${tone} tone` : ""} (${label})` } },
      ],
    }),
  );
  server.registerPrompt("summarize", { description: "Summarize the conversation" }, () => ({
    messages: [{ role: "user", content: { type: "text", text: `Summarize (${label})` } }],
  }));
  return server;
}

let database: TestDatabase;
let versions: VersionStore;
let shopping: BackendProcess;
let first: FixtureBackend;
let second: FixtureBackend;
let gw: RunningGateway;
let client: Client;

beforeAll(async () => {
  [database, shopping] = await Promise.all([createTestDatabase(), startBackend("shopping")]);
  first = startFixtureBackend(() => createFixtureServer("first"));
  second = startFixtureBackend(() => createFixtureServer("second"));
  versions = await createTestVersionStore();
  gw = await startGateway({ database, versionStore: versions });
  for (const [name, url] of [
    ["shopping-service", shopping.url],
    ["fixture-a", first.url],
    ["fixture-b", second.url],
  ] as const) {
    expect((await gw.admin("POST", "/register", { name, url })).status).toBe(201);
  }
  client = await gw.client();
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([shopping?.stop(), first?.stop(), second?.stop()]);
  await versions?.close();
  await database?.close();
});

/** The JSON-RPC error a request fails with. */
async function rejection(request: Promise<unknown>): Promise<McpError> {
  const error = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof McpError)) throw new Error(`expected a JSON-RPC error, got ${String(error)}`);
  return error;
}

describe("the admin API", () => {
  test("lists each service's resources, resource templates and prompts beside its tools", async () => {
    const body = (await (await gw.admin("GET", "/services")).json()) as {
      services: {
        name: string;
        tools: string[];
        resources: string[];
        resourceTemplates: string[];
        prompts: string[];
      }[];
    };
    const fixture = body.services.find((s) => s.name === "fixture-a");
    expect(fixture).toMatchObject({
      tools: ["fixtureEcho", "fixtureCount"],
      resources: ["fixture://readme", "fixture://settings"],
      resourceTemplates: ["fixture://users/{id}/profile"],
    });
    expect(fixture?.prompts.sort()).toEqual(["greet", "summarize"]);
    expect(body.services.find((s) => s.name === "shopping-service")).toMatchObject({ resources: [], prompts: [] });
  });
});

describe("resources", () => {
  test("are listed once per URI, the first registered service's definition kept as it sent it", async () => {
    const { resources, nextCursor } = await client.listResources();
    expect(nextCursor).toBeUndefined();
    expect(resources).toEqual([
      { uri: "fixture://readme", name: "readme", title: "Read me", mimeType: "text/markdown" },
      { uri: "fixture://settings", name: "settings", mimeType: "application/json" },
    ]);
  });

  test("templates are listed once per template", async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      {
        uriTemplate: "fixture://users/{id}/profile",
        name: "user-profile",
        description: "A user's profile",
        mimeType: "application/json",
      },
    ]);
  });

  test("a listed URI is read from the service that listed it first, and the result is the service's own", async () => {
    const viaGateway = await client.readResource({ uri: "fixture://readme" });
    const direct = await connectClient(`${first.url}/mcp`, TEST_BEARER);
    try {
      expect(viaGateway).toEqual(await direct.readResource({ uri: "fixture://readme" }));
    } finally {
      await direct.close();
    }
    expect(viaGateway.contents[0]).toMatchObject({ text: "# Fixture (first)" });
  });

  test("an unlisted URI is read from the first service whose template matches it", async () => {
    const { contents } = await client.readResource({ uri: "fixture://users/42/profile" });
    expect(contents).toEqual([
      {
        uri: "fixture://users/42/profile",
        mimeType: "application/json",
        text: JSON.stringify({ id: "42", label: "first" }),
      },
    ]);
  });

  test("a URI no service serves is -32002 Resource not found", async () => {
    const error = await rejection(client.readResource({ uri: "fixture://nothing/here" }));
    expect(error.code).toBe(RESOURCE_NOT_FOUND);
    expect(error.message).toContain("Resource not found");
    expect(error.data).toEqual({ uri: "fixture://nothing/here" });
  });
});

describe("prompts", () => {
  test("are listed with their arguments, a later service's clashing names as <service>__<prompt>", async () => {
    const { prompts, nextCursor } = await client.listPrompts();
    expect(nextCursor).toBeUndefined();
    expect(prompts.map((p) => p.name)).toEqual(["greet", "summarize", "fixture-b__greet", "fixture-b__summarize"]);
    const greet = prompts.find((p) => p.name === "fixture-b__greet");
    expect(greet?.title).toBe("Greet someone");
    expect(greet?.arguments).toEqual([
      { name: "who", description: "Whom to greet", required: true },
      { name: "tone", required: false },
    ]);
  });

  test("get goes to the owning service under the prompt's own name, with the arguments", async () => {
    const bare = await client.getPrompt({ name: "greet", arguments: { who: "Ada", tone: "warm" } });
    expect(bare.messages).toEqual([
      { role: "user", content: { type: "text", text: "Greet Ada in a warm tone (first)" } },
    ]);
    const qualified = await client.getPrompt({ name: "fixture-b__greet", arguments: { who: "Grace" } });
    expect(qualified.messages[0]?.content).toEqual({ type: "text", text: "Greet Grace (second)" });
  });

  test("an unknown prompt is InvalidParams", async () => {
    const error = await rejection(client.getPrompt({ name: "nope" }));
    expect(error.code).toBe(ErrorCode.InvalidParams);
    expect(error.message).toContain("nope");
  });
});

describe("a backend that is down", () => {
  test("keeps its resources and prompts listed; reading and getting fail with an error naming it", async () => {
    await first.stop();
    try {
      expect((await client.listResources()).resources.map((r) => r.uri)).toContain("fixture://readme");
      expect((await client.listPrompts()).prompts.map((p) => p.name)).toContain("greet");
      const read = await rejection(client.readResource({ uri: "fixture://readme" }));
      expect(read.message).toContain('Service "fixture-a" is unavailable');
      expect(read.message).toContain("fixture://readme");
      const get = await rejection(client.getPrompt({ name: "greet", arguments: { who: "Ada" } }));
      expect(get.message).toContain('Service "fixture-a" is unavailable');
      // The other instance still answers.
      expect((await client.getPrompt({ name: "fixture-b__summarize" })).messages[0]?.content).toEqual({
        type: "text",
        text: "Summarize (second)",
      });
    } finally {
      first.start();
    }
  });
});

describe("paged lists and a restart", () => {
  let paged: RunningGateway;
  let pagedClient: Client;

  beforeAll(async () => {
    // A second gateway on the same database, as after a restart, with pages of two entries.
    paged = await startGateway({
      database,
      versionStore: await createTestVersionStore(),
      settings: { mcpPageSize: 2 },
    });
    pagedClient = await paged.client();
  });
  afterAll(async () => {
    await paged?.stop();
  });

  /** Every entry of a list, following nextCursor; also how many pages that took. */
  async function collect<T>(
    list: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>,
  ): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(cursor);
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    return { items, pages };
  }

  const toolNames = (c: Client) =>
    collect(async (cursor) => {
      const page = await c.listTools(cursor === undefined ? {} : { cursor });
      return { items: page.tools.map((t) => t.name), nextCursor: page.nextCursor };
    });

  test("the registered resources, templates and prompts survive the restart", async () => {
    const all = async (c: Client) => ({
      resources: (
        await collect(async (cursor) => {
          const page = await c.listResources(cursor === undefined ? {} : { cursor });
          return { items: page.resources, nextCursor: page.nextCursor };
        })
      ).items,
      templates: (await c.listResourceTemplates()).resourceTemplates,
      prompts: (
        await collect(async (cursor) => {
          const page = await c.listPrompts(cursor === undefined ? {} : { cursor });
          return { items: page.prompts, nextCursor: page.nextCursor };
        })
      ).items,
    });
    const [before, after] = await Promise.all([all(client), all(pagedClient)]);
    expect(after).toEqual(before);
    expect(after.prompts.length).toBe(4);
    expect((await pagedClient.readResource({ uri: "fixture://users/7/profile" })).contents[0]).toMatchObject({
      text: JSON.stringify({ id: "7", label: "first" }),
    });
  });

  test("tools/list pages through every tool exactly once", async () => {
    const everything = (await client.listTools()).tools.map((t) => t.name);
    expect(everything.length).toBe(6);
    expect(everything).toContain("fixture-b__fixtureCount");
    const { items, pages } = await toolNames(pagedClient);
    expect(items).toEqual(everything);
    expect(pages).toBe(3);
  });

  test("a plain tools/list answered as JSON is the first page, like the event-stream answer", async () => {
    const list = async (accept: string) => {
      const response = await fetch(`${paged.url}/mcp`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: accept, Authorization: `Bearer ${TEST_BEARER}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      const text = await response.text();
      return JSON.parse(
        response.headers.get("content-type")?.startsWith("text/event-stream") ? /^data: (.*)$/m.exec(text)![1]! : text,
      );
    };
    const [json, stream] = await Promise.all([list("application/json"), list("text/event-stream")]);
    expect(json.result.tools.map((t: { name: string }) => t.name)).toEqual(["getProductById", "searchProducts"]);
    expect(json.result.nextCursor).toEqual(expect.any(String));
    expect(json).toEqual(stream);
  });

  test("an invalid cursor, or one of another list, is InvalidParams", async () => {
    for (const cursor of ["garbage", Buffer.from(JSON.stringify({ list: "tools", offset: 2 })).toString("base64url")]) {
      expect((await rejection(pagedClient.listTools({ cursor }))).code).toBe(ErrorCode.InvalidParams);
    }
    const promptCursor = (await pagedClient.listPrompts()).nextCursor;
    expect(promptCursor).toBeDefined();
    const misused = await rejection(pagedClient.listTools({ cursor: promptCursor }));
    expect(misused.code).toBe(ErrorCode.InvalidParams);
    expect(misused.message).toContain("without a cursor");
  });

  test("a cursor issued before a service registered resumes, and the listing includes the new service", async () => {
    const firstPage = await pagedClient.listTools();
    const third = startFixtureBackend(() => createFixtureServer("third"));
    try {
      expect((await paged.admin("POST", "/register", { name: "fixture-c", url: third.url })).status).toBe(201);
      const rest = await collect(async (cursor) => {
        const page = await pagedClient.listTools({ cursor: cursor ?? firstPage.nextCursor });
        return { items: page.tools.map((t) => t.name), nextCursor: page.nextCursor };
      });
      const names = [...firstPage.tools.map((t) => t.name), ...rest.items];
      expect(names).toEqual((await toolNames(pagedClient)).items);
      expect(names).toContain("fixture-c__fixtureEcho");
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await paged.admin("DELETE", "/delete/fixture-c");
      await third.stop();
    }
  });
});

describe("a 2026-07-28 client", () => {
  test("lists and reads resources and lists and gets prompts through the same routing", async () => {
    const modern = new V2Client(
      { name: "gateway-test", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await modern.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
      }),
    );
    try {
      const { resources } = await modern.listResources();
      expect(resources.map((r) => r.uri)).toEqual((await client.listResources()).resources.map((r) => r.uri));
      const { contents } = await modern.readResource({ uri: "fixture://readme" });
      expect(contents).toEqual([{ uri: "fixture://readme", mimeType: "text/markdown", text: "# Fixture (first)" }]);
      const { resourceTemplates } = await modern.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain("fixture://users/{id}/profile");
      const { prompts } = await modern.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual((await client.listPrompts()).prompts.map((p) => p.name));
      const prompt = await modern.getPrompt({ name: "fixture-b__greet", arguments: { who: "Grace" } });
      expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Greet Grace (second)" });
    } finally {
      await modern.close();
    }
  });
});
