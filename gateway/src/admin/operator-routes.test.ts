import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestStack, TEST_API_KEY, type TestStack } from "../../test/support/gateway-harness.ts";

const VIEWER_KEY = "viewer-key-for-operator-routes";
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ register: ["shopping"], settings: { viewerApiKey: VIEWER_KEY } });
});
afterAll(() => stack.stop());

const send = (method: string, path: string, key: string | undefined, body?: string) =>
  fetch(`${stack.gw.url}${path}`, {
    method,
    headers: { ...(key ? { "X-API-Key": key } : {}), "Content-Type": "application/json" },
    body,
  });

test("the catalog shows every tool with its schema and owner", async () => {
  const response = await send("GET", "/catalog", VIEWER_KEY);
  expect(response.status).toBe(200);
  const catalog = (await response.json()) as {
    version: number;
    tools: { name: string; service: string; inputSchema: object }[];
  };
  expect(catalog.version).toBe(stack.gw.gateway.catalog.snapshot().version);
  expect(catalog.tools.find((t) => t.name === "getProductById")).toMatchObject({
    service: "shopping-service",
    inputSchema: { type: "object" },
  });
});

test("a tool call from the console goes to the backend and returns its result", async () => {
  const response = await send(
    "POST",
    "/tools/getProductById/call",
    TEST_API_KEY,
    JSON.stringify({ arguments: { id: "123" } }),
  );
  expect(response.status).toBe(200);
  const { result } = (await response.json()) as { result: { structuredContent: { id: string } } };
  expect(result.structuredContent.id).toBe("123");
});

test.each([
  ["no key", "GET", "/catalog", undefined, undefined, 401],
  ["a wrong key", "GET", "/events", "wrong", undefined, 401],
  ["a viewer calling a tool", "POST", "/tools/getProductById/call", VIEWER_KEY, "{}", 403],
  ["an unknown tool", "POST", "/tools/nope/call", TEST_API_KEY, "{}", 404],
  ["arguments that are not an object", "POST", "/tools/getProductById/call", TEST_API_KEY, '{"arguments":[1]}', 400],
  ["an unknown field", "POST", "/tools/getProductById/call", TEST_API_KEY, '{"args":{}}', 400],
  ["a body that is not JSON", "POST", "/tools/getProductById/call", TEST_API_KEY, "{", 400],
] as const)("%s is refused", async (_what, method, path, key, body, status) => {
  const response = await send(method, path, key, body);
  expect(response.status).toBe(status);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBeString();
});

test("the event stream sends the state at once and again when the catalog changes", async () => {
  const abort = new AbortController();
  const response = await fetch(`${stack.gw.url}/events`, {
    headers: { "X-API-Key": VIEWER_KEY },
    signal: abort.signal,
  });
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const nextState = async () => {
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    return JSON.parse(/^data: (.*)$/m.exec(text)![1]!) as { version: number };
  };
  const first = await nextState();
  expect(first.version).toBe(stack.gw.gateway.catalog.snapshot().version);
  expect((await stack.gw.admin("POST", "/register", { name: "people", url: stack.user.url })).status).toBe(201);
  let next = await nextState();
  // A health change of a backend can come first; the catalog's new version follows.
  while (next.version === first.version) next = await nextState();
  expect(next.version).toBeGreaterThan(first.version);
  abort.abort();
});
