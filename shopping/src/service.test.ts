import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CLIENT_KINDS,
  describeServiceHttpContract,
  type ServiceUnderTest,
  startServiceForTest,
  type ToolClient,
} from "@mcp-federation/mcp-http/testing";
import { createShoppingServer } from "./mcp-server.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

function textOf(result: Record<string, unknown>): string {
  const [first] = result.content as { type: string; text: string }[];
  return first?.text ?? "";
}

describe.each(CLIENT_KINDS)("shopping tools over the %s client", (kind) => {
  let service: ServiceUnderTest;
  let client: ToolClient;

  beforeAll(async () => {
    service = await startServiceForTest("shopping-service", createShoppingServer, kind);
    client = service.client;
  });
  afterAll(() => service?.stop());

  test("lists both tools with input and output schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["getProductById", "searchProducts"]);
    for (const tool of tools) expect(tool.outputSchema?.type).toBe("object");
  });

  test("getProductById returns the product as structured content and text", async () => {
    const result = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      id: "123",
      name: "Aeron Ergonomic Office Chair",
      currency: "USD",
    });
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  });

  test("searchProducts filters by name and category and honours the limit", async () => {
    const byName = await client.callTool({ name: "searchProducts", arguments: { query: "COFFEE" } });
    const names = (byName.structuredContent as { products: { name: string }[] }).products.map((p) => p.name);
    expect(names).toEqual(["Pour-Over Coffee Set", "Burr Coffee Grinder"]);

    const limited = await client.callTool({ name: "searchProducts", arguments: { category: "electronics", limit: 2 } });
    const { products, count } = limited.structuredContent as { products: { category: string }[]; count: number };
    expect(count).toBe(2);
    expect(products.every((p) => p.category === "electronics")).toBe(true);
  });

  test("an unknown id is a tool error that points to searchProducts", async () => {
    const result = await client.callTool({ name: "getProductById", arguments: { id: "does-not-exist" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("searchProducts");
  });

  test("getProductById accepts a numeric id, as clients send numeric-looking values, and says so in its schema", async () => {
    const result = await client.callTool({ name: "getProductById", arguments: { id: 123 } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ id: "123" });

    const { tools } = await client.listTools();
    const id = tools.find((t) => t.name === "getProductById")?.inputSchema.properties?.id as {
      anyOf?: { type: string }[];
    };
    expect(id.anyOf?.map((option) => option.type)).toEqual(["string", "integer"]);
  });

  test("invalid arguments are rejected with a validation error", async () => {
    const result = await client.callTool({ name: "searchProducts", arguments: { limit: "ten" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Input validation error");
  });
});

describeServiceHttpContract({
  serviceName: "shopping-service",
  createServer: createShoppingServer,
  sampleCall: { tool: "getProductById", arguments: { id: "123" }, resultId: "123" },
});
