/**
 * The gateway driven by an MCP client that is not ours: the MCP Inspector's command-line mode
 * (`mcp-inspector-cli --cli`, a dev dependency), run the way a user runs it, against a gateway on a free
 * port federating the real shopping and user services. The Inspector is a Node.js program.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestStack, TEST_BEARER, type TestStack } from "../support/gateway-harness.ts";

// Each Inspector run starts two Node.js processes: a ceiling for hangs on a busy machine, not a speed check.

const INSPECTOR_PACKAGE = fileURLToPath(import.meta.resolve("@modelcontextprotocol/inspector-cli/package.json"));
const INSPECTOR_BIN = `${dirname(INSPECTOR_PACKAGE)}/build/cli.js`;
const node = Bun.which("node");

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ register: ["shopping", "user"] });
});
afterAll(() => stack?.stop());

/** Runs `mcp-inspector-cli --cli <gateway>/mcp --transport http <args>`; its stdout is the JSON answer. */
async function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([node!, INSPECTOR_BIN, "--cli", `${stack.gw.url}/mcp`, "--transport", "http", ...args], {
    // It finds its own package.json through `../package.json` of the working directory.
    cwd: dirname(INSPECTOR_BIN),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, stdout, stderr };
}

const bearer = ["--header", `Authorization: Bearer ${TEST_BEARER}`];

test.skipIf(!node)("lists the tools of both services through the gateway", async () => {
  const run = await inspector(["--method", "tools/list", ...bearer]);
  expect(run).toMatchObject({ code: 0 });
  const { tools } = JSON.parse(run.stdout) as { tools: { name: string; inputSchema: { properties?: object } }[] };
  expect(tools.map((t) => t.name).sort()).toEqual(["getProductById", "getUserById", "searchProducts", "searchUsers"]);
  expect(tools.find((t) => t.name === "getProductById")?.inputSchema.properties).toHaveProperty("id");
});

test.skipIf(!node)("calls getProductById, routed to the shopping service", async () => {
  // --tool-arg values are parsed as JSON when they can be: quoted, "123" stays a string.
  const run = await inspector([
    "--method",
    "tools/call",
    "--tool-name",
    "getProductById",
    "--tool-arg",
    'id="123"',
    ...bearer,
  ]);
  expect(run).toMatchObject({ code: 0 });
  const result = JSON.parse(run.stdout) as { isError?: boolean; structuredContent?: { id: string; name: string } };
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toMatchObject({ id: "123", name: "Aeron Ergonomic Office Chair" });
});

test.skipIf(!node)("calls getUserById with an unquoted id, which the Inspector sends as a number", async () => {
  const run = await inspector([
    "--method",
    "tools/call",
    "--tool-name",
    "getUserById",
    "--tool-arg",
    "id=456",
    ...bearer,
  ]);
  expect(run).toMatchObject({ code: 0 });
  const result = JSON.parse(run.stdout) as { isError?: boolean; structuredContent?: { id: string } };
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toMatchObject({ id: "456" });
});

test.skipIf(!node)("is refused without the bearer token", async () => {
  const run = await inspector(["--method", "tools/list"]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain("Unauthorized: missing bearer token");
});
