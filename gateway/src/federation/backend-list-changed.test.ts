/**
 * A backend that announces, during a call, that its tools changed is pulled again: the new tool
 * appears in the gateway's list without anyone calling the admin API.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { startTestStack, type TestStack } from "../../test/support/gateway-harness.ts";
import { registerGrowingTools } from "../../test/support/growing-tools.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** Tool names the fixture has grown; every per-request server of the stateless fixture reads them. */
const grown: string[] = [];

function growingServer(): McpServer {
  const server = new McpServer(
    { name: "growing", version: "1.0.0" },
    { capabilities: { tools: { listChanged: true } } },
  );
  registerGrowingTools(server, grown);
  return server;
}

let stack: TestStack;
let backend: FixtureBackend;

beforeAll(async () => {
  stack = await startTestStack();
  backend = startFixtureBackend(growingServer);
  expect((await stack.gw.admin("POST", "/register", { name: "growing", url: backend.url })).status).toBe(201);
});
afterAll(async () => {
  await stack?.stop();
  await backend?.stop();
});

test("a list_changed announced during a call makes the gateway pull the backend's tools again", async () => {
  const client = await stack.gw.client();
  expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["grow"]);

  const result = await client.callTool({ name: "grow", arguments: {} });
  expect(result.isError).toBeFalsy();

  // The pull runs after the call's answer; the catalog shows when it landed.
  await eventually(() => stack.gw.gateway.catalog.snapshot().routes.has("grown1"));
  expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["grow", "grown1"]);
  const called = await client.callTool({ name: "grown1", arguments: {} });
  expect(called.content).toEqual([{ type: "text", text: "grown1" }]);
});
