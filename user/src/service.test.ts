import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CLIENT_KINDS,
  describeServiceHttpContract,
  type ServiceUnderTest,
  startServiceForTest,
  type ToolClient,
} from "@mcp-federation/mcp-http/testing";
import { createUserServer } from "./mcp-server.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

function textOf(result: Record<string, unknown>): string {
  const [first] = result.content as { type: string; text: string }[];
  return first?.text ?? "";
}

type FoundUsers = { users: { id: string; name: string; email: string }[]; count: number };

describe.each(CLIENT_KINDS)("user tools over the %s client", (kind) => {
  let service: ServiceUnderTest;
  let client: ToolClient;

  beforeAll(async () => {
    service = await startServiceForTest("user-service", createUserServer, kind);
    client = service.client;
  });
  afterAll(() => service?.stop());

  test("lists both tools with input and output schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["getUserById", "searchUsers"]);
    for (const tool of tools) expect(tool.outputSchema?.type).toBe("object");
  });

  test("getUserById returns the user as structured content and text", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: "456" } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ id: "456", name: "Maria Fernandes", role: "customer" });
    const { createdAt } = result.structuredContent as { createdAt: string };
    expect(new Date(createdAt).toISOString()).toBe(createdAt);
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  });

  test("searchUsers matches name or email case-insensitively", async () => {
    const byName = await client.callTool({ name: "searchUsers", arguments: { query: "fERNANDES" } });
    expect((byName.structuredContent as FoundUsers).users.map((u) => u.id)).toEqual(["456"]);

    const byEmail = await client.callTool({ name: "searchUsers", arguments: { query: "HANNAH.MUELLER@" } });
    expect((byEmail.structuredContent as FoundUsers).users.map((u) => u.name)).toEqual(["Hannah Müller"]);
  });

  test("searchUsers honours the limit", async () => {
    const result = await client.callTool({ name: "searchUsers", arguments: { query: "example.com", limit: 3 } });
    const { users, count } = result.structuredContent as FoundUsers;
    expect(count).toBe(3);
    expect(users).toHaveLength(3);
  });

  test("an unknown id is a tool error that points to searchUsers", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: "does-not-exist" } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("searchUsers");
  });

  test("getUserById accepts a numeric id, as clients send numeric-looking values, and says so in its schema", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: 456 } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ id: "456" });

    const { tools } = await client.listTools();
    const id = tools.find((t) => t.name === "getUserById")?.inputSchema.properties?.id as {
      anyOf?: { type: string }[];
    };
    expect(id.anyOf?.map((option) => option.type)).toEqual(["string", "integer"]);
  });

  test("invalid arguments are rejected with a validation error", async () => {
    const result = await client.callTool({ name: "getUserById", arguments: { id: 4.56 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Input validation error");
  });
});

describeServiceHttpContract({
  serviceName: "user-service",
  createServer: createUserServer,
  sampleCall: { tool: "getUserById", arguments: { id: "456" }, resultId: "456" },
});
