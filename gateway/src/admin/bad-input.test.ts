/**
 * Bad input, table-driven: every case gets a clear 4xx answer in the API's error shape, and none of
 * them changes the registry or its version.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestStack, TEST_API_KEY, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

let registryBefore: string;
let versionBefore: number;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ register: ["shopping"] });
  registryBefore = await registryState();
  versionBefore = await stack.versions.current();
});

afterAll(async () => {
  // Nothing any case sent may have changed the registry.
  expect(await registryState()).toBe(registryBefore);
  expect(await stack.versions.current()).toBe(versionBefore);
  await stack?.stop();
});

async function registryState(): Promise<string> {
  const body = (await (await stack.gw.admin("GET", "/services")).json()) as {
    services: { name: string; url: string; updatedAt: string }[];
  };
  return JSON.stringify(body.services.map(({ name, url, updatedAt }) => ({ name, url, updatedAt })));
}

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** Text the error message or one of its issues must contain. */
  says: string;
}

const key = { "X-API-Key": TEST_API_KEY };
const jsonKey = { ...key, "Content-Type": "application/json" };
const register = (body: unknown): Pick<Case, "method" | "path" | "headers" | "body"> => ({
  method: "POST",
  path: "/register",
  headers: jsonKey,
  body: typeof body === "string" ? body : JSON.stringify(body),
});

const cases: Case[] = [
  { name: "missing name", ...register({ url: "http://example.com" }), status: 400, says: "name" },
  { name: "missing url", ...register({ name: "svc" }), status: 400, says: "url" },
  {
    name: "both url and command",
    ...register({ name: "svc", url: "http://example.com", command: "bun" }),
    status: 400,
    says: "not both",
  },
  {
    name: "headers with a command",
    ...register({ name: "svc", command: "bun", headers: { Authorization: "Bearer x" } }),
    status: 400,
    says: "headers",
  },
  {
    name: "args with a url",
    ...register({ name: "svc", url: "http://example.com", args: ["-v"] }),
    status: 400,
    says: "args",
  },
  { name: "command of wrong type", ...register({ name: "svc", command: ["bun"] }), status: 400, says: "command" },
  {
    name: "extra field",
    ...register({ name: "svc", url: "http://example.com", admin: true }),
    status: 400,
    says: "admin",
  },
  { name: "name of wrong type", ...register({ name: 42, url: "http://example.com" }), status: 400, says: "name" },
  { name: "url of wrong type", ...register({ name: "svc", url: ["http://example.com"] }), status: 400, says: "url" },
  { name: "body is an array", ...register([]), status: 400, says: "object" },
  { name: "body is null", ...register("null"), status: 400, says: "object" },
  { name: "empty name", ...register({ name: "", url: "http://example.com" }), status: 400, says: "empty" },
  {
    name: "10,000 character name",
    ...register({ name: "a".repeat(10_000), url: "http://example.com" }),
    status: 400,
    says: "63",
  },
  {
    name: "unicode name",
    ...register({ name: "café-service", url: "http://example.com" }),
    status: 400,
    says: "lowercase",
  },
  {
    name: "upper case name",
    ...register({ name: "Shopping", url: "http://example.com" }),
    status: 400,
    says: "lowercase",
  },
  {
    name: "path characters in name",
    ...register({ name: "../etc/passwd", url: "http://example.com" }),
    status: 400,
    says: "lowercase",
  },
  { name: "file: url", ...register({ name: "svc", url: "file:///etc/passwd" }), status: 400, says: "http or https" },
  { name: "ftp: url", ...register({ name: "svc", url: "ftp://example.com" }), status: 400, says: "http or https" },
  {
    name: "javascript: url",
    ...register({ name: "svc", url: "javascript:alert(1)" }),
    status: 400,
    says: "http or https",
  },
  { name: "relative url", ...register({ name: "svc", url: "/mcp" }), status: 400, says: "absolute" },
  {
    name: "url with credentials",
    ...register({ name: "svc", url: "http://user:pass@example.com" }),
    status: 400,
    says: "credentials",
  },
  { name: "metadata url", ...register({ name: "svc", url: "http://169.254.169.254/" }), status: 403, says: "metadata" },
  {
    name: "reserved backend header",
    ...register({ name: "svc", url: "http://example.com", headers: { Host: "x" } }),
    status: 400,
    says: "gateway itself",
  },
  {
    name: "header value with a line break",
    ...register({ name: "svc", url: "http://example.com", headers: { "X-A": "a\r\nb: c" } }),
    status: 400,
    says: "line breaks",
  },
  { name: "malformed JSON", ...register('{"name": "svc",'), status: 400, says: "not valid JSON" },
  { name: "empty body", ...register(""), status: 400, says: "JSON" },
  {
    name: "not JSON content type",
    method: "POST",
    path: "/register",
    headers: { ...key, "Content-Type": "text/plain" },
    body: "name=svc",
    status: 415,
    says: "JSON",
  },
  {
    name: "oversize body",
    ...register({ name: "svc", url: "http://example.com", pad: "x".repeat(100_000) }),
    status: 413,
    says: "exceeds",
  },
  {
    name: "update with extra field",
    method: "PUT",
    path: "/update/shopping-service",
    headers: jsonKey,
    body: '{"name":"x"}',
    status: 400,
    says: "name",
  },
  {
    name: "update with bad url",
    method: "PUT",
    path: "/update/shopping-service",
    headers: jsonKey,
    body: '{"url":"ftp://x"}',
    status: 400,
    says: "http or https",
  },
  { name: "update of unknown service", method: "PUT", path: "/update/ghost", headers: key, status: 404, says: "ghost" },
  {
    name: "update with an invalid name",
    method: "PUT",
    path: "/update/Bad%20Name",
    headers: key,
    status: 400,
    says: "name",
  },
  {
    name: "delete with encoded path characters",
    method: "DELETE",
    path: "/delete/..%2F..%2Fetc",
    headers: key,
    status: 400,
    says: "name",
  },
  {
    name: "delete of unknown service",
    method: "DELETE",
    path: "/delete/ghost",
    headers: key,
    status: 404,
    says: "ghost",
  },
  { name: "GET on /register", method: "GET", path: "/register", headers: key, status: 405, says: "POST" },
  {
    name: "POST on /delete",
    method: "POST",
    path: "/delete/shopping-service",
    headers: key,
    status: 405,
    says: "DELETE",
  },
  { name: "DELETE on /services", method: "DELETE", path: "/services", headers: key, status: 405, says: "GET" },
  { name: "unknown route", method: "GET", path: "/nope", headers: key, status: 404, says: "no route" },
  // Credentials
  { name: "no API key", method: "DELETE", path: "/delete/shopping-service", status: 401, says: "X-API-Key" },
  {
    name: "wrong API key",
    method: "DELETE",
    path: "/delete/shopping-service",
    headers: { "X-API-Key": "wrong" },
    status: 401,
    says: "invalid",
  },
  {
    name: "API key with a prefix of the right one",
    method: "DELETE",
    path: "/delete/shopping-service",
    headers: { "X-API-Key": TEST_API_KEY.slice(0, -1) },
    status: 401,
    says: "invalid",
  },
  {
    name: "API key with one more character",
    method: "DELETE",
    path: "/delete/shopping-service",
    headers: { "X-API-Key": `${TEST_API_KEY}x` },
    status: 401,
    says: "invalid",
  },
  {
    name: "API key in another case",
    method: "DELETE",
    path: "/delete/shopping-service",
    headers: { "X-API-Key": TEST_API_KEY.toUpperCase() },
    status: 401,
    says: "invalid",
  },
  {
    name: "API key sent as a bearer token",
    method: "DELETE",
    path: "/delete/shopping-service",
    headers: { Authorization: `Bearer ${TEST_API_KEY}` },
    status: 401,
    says: "X-API-Key",
  },
  {
    name: "MCP token for an admin write",
    method: "DELETE",
    path: "/delete/shopping-service",
    headers: { Authorization: `Bearer ${TEST_BEARER}` },
    status: 401,
    says: "X-API-Key",
  },
  {
    name: "empty API key",
    method: "GET",
    path: "/services",
    headers: { "X-API-Key": "" },
    status: 401,
    says: "API key",
  },
];

describe("admin API", () => {
  test.each(cases.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const res = await fetch(`${stack.gw.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body });
    expect(res.status).toBe(c.status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as {
      error: { code: string; message: string; issues?: { path: string; message: string }[] };
    };
    expect(body.error.code).toBeString();
    const said = [body.error.message, ...(body.error.issues ?? []).flatMap((i) => [i.path, i.message])].join(" | ");
    expect(said).toContain(c.says);
  });

  test("header names are case-insensitive: the right key in odd casing works", async () => {
    for (const name of ["x-api-key", "X-API-KEY", "x-Api-kEy"]) {
      const res = await fetch(`${stack.gw.url}/services`, { headers: { [name]: TEST_API_KEY } });
      expect(res.status).toBe(200);
    }
    const lowerScheme = await fetch(`${stack.gw.url}/services`, {
      headers: { authorization: `bearer ${TEST_BEARER}` },
    });
    expect(lowerScheme.status).toBe(200);
  });
});
