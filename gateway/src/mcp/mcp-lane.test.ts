/**
 * The direct /mcp lane answers as the Hono routes of /mcp do. `/%6Dcp` is /mcp to Hono's router but
 * not to the lane, so each request is sent both ways and the answers compared, refusals included.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { captureLog } from "../../test/support/captured-log.ts";
import { startTestStack, TEST_API_KEY, TEST_BEARER, type TestStack } from "../../test/support/gateway-harness.ts";
import { hopMarker } from "../federation/gateway-hop.ts";
import { deriveSessionSecret } from "../sessions/session-ids.ts";

const { log, entries } = captureLog();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ register: ["shopping"], log });
});
afterAll(() => stack?.stop());

const CALL = {
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "getProductById", arguments: { id: "123" } },
};
const JSON_ONLY = { "Content-Type": "application/json", Accept: "application/json" };

/** The same POST to the lane (/mcp) and to Hono's router (/%6Dcp). */
async function bothWays(headers: Record<string, string>, body: string = JSON.stringify(CALL)) {
  const send = async (path: string) => {
    const response = await fetch(`${stack.gw.url}${path}`, { method: "POST", headers, body });
    const shown: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== "date" && name !== "x-request-id" && name !== "content-length") shown[name] = value;
    });
    return {
      status: response.status,
      headers: shown,
      body: await response.text(),
      id: response.headers.get("x-request-id"),
    };
  };
  return { lane: await send("/mcp"), hono: await send("/%6Dcp") };
}

function expectSame({ lane, hono }: Awaited<ReturnType<typeof bothWays>>, status: number) {
  expect(lane.status).toBe(status);
  expect({ ...lane, id: undefined }).toEqual({ ...hono, id: undefined });
  expect(lane.id).toBeTruthy();
}

test("a tool call is answered the same, with a request id", async () => {
  const answers = await bothWays({ ...JSON_ONLY, Authorization: `Bearer ${TEST_BEARER}` });
  expectSame(answers, 200);
  expect(JSON.parse(answers.lane.body)).toMatchObject({ id: 7, result: { content: [{ type: "text" }] } });
});

test("the client's request id is kept and reaches the access line, with the route and the status", async () => {
  const headers = { ...JSON_ONLY, Authorization: `Bearer ${TEST_BEARER}`, "X-Request-Id": "lane-test-1" };
  const response = await fetch(`${stack.gw.url}/mcp`, { method: "POST", headers, body: JSON.stringify(CALL) });
  expect(response.headers.get("x-request-id")).toBe("lane-test-1");
  await response.text();
  const access = entries().find((entry) => entry.msg === "request" && entry.requestId === "lane-test-1");
  expect(access).toMatchObject({ level: "info", method: "POST", route: "/mcp", path: "/mcp", status: 200 });
});

test("refusals are the same: no credential, a wrong one, a foreign host, a foreign origin, a loop", async () => {
  expectSame(await bothWays(JSON_ONLY), 401);
  expectSame(await bothWays({ ...JSON_ONLY, Authorization: "Bearer wrong" }), 401);
  expectSame(await bothWays({ ...JSON_ONLY, Authorization: `Bearer ${TEST_BEARER}`, Host: "evil.example" }), 403);
  const origin = { ...JSON_ONLY, Authorization: `Bearer ${TEST_BEARER}`, Origin: "https://evil.example" };
  expectSame(await bothWays(origin), 403);
  const marker = hopMarker(deriveSessionSecret(TEST_API_KEY, TEST_BEARER));
  expectSame(await bothWays({ ...JSON_ONLY, Authorization: `Bearer ${TEST_BEARER}`, "Mcp-Gateway-Hop": marker }), 508);
});

test("a body that is not JSON is refused the same", async () => {
  expectSame(await bothWays({ ...JSON_ONLY, Authorization: `Bearer ${TEST_BEARER}` }, "{not json"), 400);
});
