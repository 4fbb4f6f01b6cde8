/**
 * The README's promises, checked. Every curl example runs with real curl, in README order, against a
 * real stack (both services and a gateway on free ports, the services registered as `bun run dev`
 * registers them), and must answer what the comment above it says. The original design's examples
 * must all be there, and the configuration table must list exactly the variables the gateway reads.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VersionStore } from "../../src/catalog/version-store.ts";
import { startAuthorizationServer, type TestAuthorizationServer } from "../support/authorization-server.ts";
import { type BackendProcess, startBackend } from "../support/backend-process.ts";
import { createTestVersionStore, type RunningGateway, startGateway } from "../support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-database.ts";
import { type CurlExample, curlExamples } from "./readme-examples.ts";

// Starting the services and the gateway is slow on a busy machine: a ceiling for hangs, not a speed check.

const ROOT = join(import.meta.dir, "../../..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const examples = curlExamples(readme);

/** The README's literal key; the harness would otherwise use its own. */
const README_API_KEY = "mcp-api-key-123";

let database: TestDatabase;
let versions: VersionStore;
let shopping: BackendProcess;
let user: BackendProcess;
let gw: RunningGateway;
let authorizationServer: TestAuthorizationServer;
let testPorts: Record<string, number>;

beforeAll(async () => {
  [database, shopping, user] = await Promise.all([
    createTestDatabase(),
    startBackend("shopping"),
    startBackend("user"),
  ]);
  versions = await createTestVersionStore();
  authorizationServer = await startAuthorizationServer();
  // OAuth on, as the README's Access control section shows it; the URLs are the README's, not the test's.
  gw = await startGateway({
    database,
    versionStore: versions,
    settings: {
      apiKey: README_API_KEY,
      viewerApiKey: "mcp-viewer-key-123",
      // The Stdio backends section registers one; its env needs the key.
      stdioCommands: ["bun"],
      secretsKey: "readme-secrets-key-with-enough-entropy-0123456789",
      publicUrl: "http://localhost:3001",
      oauth: {
        issuer: authorizationServer.issuer,
        audience: "http://localhost:3001/mcp",
        scopes: ["mcp:tools"],
        rolesClaim: "roles",
      },
    },
  });
  testPorts = { "3001": gw.server.port!, "3002": shopping.port, "3003": user.port };
  // The URLs GATEWAY_SERVICES gives in `bun run dev`, so the README's register examples are refreshes here too.
  await gw.gateway.registry.register({ name: "shopping-service", url: `http://localhost:${shopping.port}` });
  await gw.gateway.registry.register({ name: "user-service", url: `http://localhost:${user.port}` });
});

afterAll(async () => {
  await gw?.stop();
  await authorizationServer?.stop();
  await Promise.all([shopping?.stop(), user?.stop()]);
  await versions?.close();
  await database?.close();
});

/** Only the stack's addresses change; everything else is passed to curl as the README has it. */
function onTestPorts(arg: string): string {
  return arg.replace(/\blocalhost:(300[123])\b/g, (_, port: string) => `localhost:${testPorts[port]}`);
}

async function runCurl(args: string[]): Promise<{ status: number; body: string }> {
  const child = Bun.spawn(
    ["curl", "--silent", "--show-error", "--max-time", "20", "--write-out", "\n%{http_code}", ...args],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`curl exited with ${code}: ${err}`);
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe("every curl example of the README, in order", () => {
  test("there are examples to run", () => {
    expect(examples.length).toBeGreaterThanOrEqual(15);
  });

  for (const example of examples) {
    const { method, url } = example.request;
    test(`line ${example.line}: ${method} ${url} → ${example.expected.status}`, async () => {
      const { status, body } = await runCurl(example.args.map(onTestPorts));
      expect({ status, body }).toMatchObject({ status: example.expected.status });
      const json = parseJson(body) as { error?: unknown; result?: { isError?: boolean } } | undefined;
      if (example.expected.body !== undefined) expect(json).toMatchObject(example.expected.body as object);
      if (status >= 300) return;
      // A 2xx that is not JSON (an event stream, a page), carries a JSON-RPC error or a failed tool call did
      // not do what the README shows.
      expect({ body, json: json !== undefined }).toMatchObject({ json: true });
      expect(json?.error).toBeUndefined();
      expect(json?.result?.isError).toBeFalsy();
    });
  }
});

interface DesignExample {
  what: string;
  method: string;
  url: string;
  /** Headers the request must send (names lower-case). */
  headers?: Record<string, string>;
  /** A header it must not send. */
  without?: string;
  /** JSON the body must contain. */
  body?: object;
  /** What the issue says it answers now. */
  status: number;
}

const BEARER = { authorization: "Bearer mcp-token-123" };
const API_KEY = { "x-api-key": README_API_KEY };
const call = (name: string, id: string) => ({ method: "tools/call", params: { name, arguments: { id } } });

/** The requests of both design notes (stage 3 and stage 3.1). */
const DESIGN_EXAMPLES: DesignExample[] = [
  { what: "shopping health", method: "GET", url: "http://localhost:3002/health", status: 200 },
  { what: "user health", method: "GET", url: "http://localhost:3003/health", status: 200 },
  { what: "gateway health", method: "GET", url: "http://localhost:3001/health", status: 200 },
  {
    what: "tools/list without a token",
    method: "POST",
    url: "http://localhost:3001/mcp",
    without: "authorization",
    body: { method: "tools/list" },
    status: 401,
  },
  {
    what: "tools/list",
    method: "POST",
    url: "http://localhost:3001/mcp",
    headers: BEARER,
    body: { method: "tools/list" },
    status: 200,
  },
  {
    what: "getProductById",
    method: "POST",
    url: "http://localhost:3001/mcp",
    headers: BEARER,
    body: call("getProductById", "123"),
    status: 200,
  },
  {
    what: "getUserById",
    method: "POST",
    url: "http://localhost:3001/mcp",
    headers: BEARER,
    body: call("getUserById", "456"),
    status: 200,
  },
  {
    what: "stage 3 register with the bearer token",
    method: "POST",
    url: "http://localhost:3001/register",
    headers: BEARER,
    body: { name: "custom-service", url: "http://custom-service:3000" },
    status: 401,
  },
  {
    what: "stage 3 service list with the bearer token",
    method: "POST",
    url: "http://localhost:3001/services",
    headers: BEARER,
    status: 200,
  },
  {
    what: "register user-service",
    method: "POST",
    url: "http://localhost:3001/register",
    headers: API_KEY,
    body: { name: "user-service", url: "http://localhost:3003" },
    status: 200,
  },
  {
    what: "register shopping-service",
    method: "POST",
    url: "http://localhost:3001/register",
    headers: API_KEY,
    body: { name: "shopping-service", url: "http://localhost:3002" },
    status: 200,
  },
  {
    what: "update user-service",
    method: "PUT",
    url: "http://localhost:3001/update/user-service",
    headers: API_KEY,
    status: 200,
  },
  {
    what: "delete user-service",
    method: "DELETE",
    url: "http://localhost:3001/delete/user-service",
    headers: API_KEY,
    status: 200,
  },
];

function isExampleOf(example: CurlExample, design: DesignExample): boolean {
  const { method, url, headers, body } = example.request;
  if (method !== design.method || url !== design.url) return false;
  if (design.without !== undefined && headers[design.without] !== undefined) return false;
  if (design.headers !== undefined && !Bun.deepMatch(design.headers, headers)) return false;
  return design.body === undefined || (body !== undefined && Bun.deepMatch(design.body, parseJson(body)));
}

test("the README has every example of the original design, answering what the issue says", () => {
  const found = DESIGN_EXAMPLES.map((design) => [
    design.what,
    examples.find((e) => isExampleOf(e, design))?.expected.status ?? "missing",
  ]);
  expect(Object.fromEntries(found)).toEqual(Object.fromEntries(DESIGN_EXAMPLES.map((d) => [d.what, d.status])));
});

test("the configuration table lists exactly the variables the gateway reads", async () => {
  const config = await Bun.file(join(ROOT, "gateway/src/config.ts")).text();
  const schema = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(config)?.[1] ?? "";
  const read = [...schema.matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
  expect(read.length).toBeGreaterThan(20);

  const envExample = await Bun.file(join(ROOT, ".env.example")).text();
  const gatewayPart = envExample.slice(0, envExample.indexOf("--- Backends"));
  const documentedInExample = [...gatewayPart.matchAll(/^#\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

  const table = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
  expect(table.toSorted()).toEqual(read.toSorted());
  expect(table).toEqual(expect.arrayContaining(documentedInExample));
});
