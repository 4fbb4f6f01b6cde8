/**
 * Requests from a backend to the client during a call (elicitation, sampling): they reach the client on
 * its call's stream, and its answer, posted to whichever replica, gets back to the backend; a client
 * that cannot be asked gets a tool error, never a hung call.
 */
import { describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { connectBalancedClient, type SeenRequest } from "../../test/support/balanced-client.ts";
import { firstText, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";
import { startStatefulFixtureBackend } from "../../test/support/stateful-fixture-backend.ts";

/** Its requests name the call they belong to (`relatedRequestId`), so they go out on the call's stream. */
function fixtureServer(): McpServer {
  const server = new McpServer({ name: "asking-fixture", version: "1.0.0" });
  server.registerTool("askName", { description: "Asks the user for a name and greets it." }, async (extra) => {
    const question = {
      message: "What is your name?",
      requestedSchema: {
        type: "object" as const,
        properties: { name: { type: "string" as const } },
        required: ["name"],
      },
    };
    const answer = await server.server.elicitInput(question, { relatedRequestId: extra.requestId });
    return {
      content: [
        { type: "text", text: answer.action === "accept" ? `hello ${String(answer.content?.name)}` : answer.action },
      ],
    };
  });
  server.registerTool("askModel", { description: "Asks the client's model for a word." }, async (extra) => {
    const question = {
      messages: [{ role: "user" as const, content: { type: "text" as const, text: "A word?" } }],
      maxTokens: 5,
    };
    const answer = await server.server.createMessage(question, { relatedRequestId: extra.requestId });
    return { content: [{ type: "text", text: answer.content.type === "text" ? answer.content.text : "?" }] };
  });
  server.registerTool("askRoots", { description: "Names the client's roots." }, async (extra) => {
    const { roots } = await server.server.listRoots(undefined, { relatedRequestId: extra.requestId });
    return { content: [{ type: "text", text: roots.map((root) => root.uri).join(" ") }] };
  });
  return server;
}

const pair = replicaPairServing("asking", () => startStatefulFixtureBackend(fixtureServer));

/**
 * A client that answers elicitations with the name "Ada", sampling with the word "blue" and roots with
 * one folder, when it declares those capabilities.
 */
async function askedClient(
  replicas: "both" | "one",
  capabilities: ClientCapabilities,
): Promise<{ client: Client; seen: SeenRequest[] }> {
  const urls = replicas === "both" ? { a: pair.a.url, b: pair.b.url } : { a: pair.a.url, b: pair.a.url };
  const { client, seen } = await connectBalancedClient(urls, "a", capabilities);
  if (capabilities.elicitation)
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { name: "Ada" } }));
  if (capabilities.roots)
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: "file:///home/ada/project" }] }));
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: "assistant",
      content: { type: "text", text: "blue" },
      model: "test-model",
    }));
  }
  return { client, seen };
}

const paths = [
  ["the fast path", {}],
  ["the SDK path (with a progress token)", { onprogress: () => {} }],
] as const;

describe("requests from a backend to the client", () => {
  test.each(paths)(
    "an elicitation reaches the client and its answer, posted to the other replica, the backend (%s)",
    async (_path, options) => {
      const { client, seen } = await askedClient("both", { elicitation: {} });
      try {
        const result = await client.callTool({ name: "askName" }, undefined, options);
        expect(result.isError).toBeFalsy();
        expect(firstText(result)).toBe("hello Ada");
        const callOn = seen.find((s) => s.rpc === "tools/call")?.replica;
        const answerOn = seen.find((s) => s.method === "POST" && s.rpc === undefined)?.replica;
        expect(answerOn).toBeDefined();
        expect(answerOn).not.toBe(callOn);
      } finally {
        await client.close();
      }
    },
  );

  test.each(paths)("a sampling request works the same on a single replica (%s)", async (_path, options) => {
    const { client } = await askedClient("one", { sampling: {} });
    try {
      expect(firstText(await client.callTool({ name: "askModel" }, undefined, options))).toBe("blue");
    } finally {
      await client.close();
    }
  });

  test.each(paths)("a roots request is answered with the client's own roots (%s)", async (_path, options) => {
    const { client } = await askedClient("both", { roots: {} });
    try {
      expect(firstText(await client.callTool({ name: "askRoots" }, undefined, options))).toBe(
        "file:///home/ada/project",
      );
    } finally {
      await client.close();
    }
  });

  test.each(paths)("a client without the capability gets a tool error naming it (%s)", async (_path, options) => {
    const { client } = await askedClient("both", { sampling: {} });
    try {
      const result = await client.callTool({ name: "askName" }, undefined, options);
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain('the client did not declare the "elicitation" capability');
    } finally {
      await client.close();
    }
  });

  test("a client without a session gets a tool error", async () => {
    const response = await fetch(`${pair.a.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${TEST_BEARER}`,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "askName" } }),
    });
    const body = (await response.json()) as { result: { isError?: boolean; content: { text: string }[] } };
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0]?.text).toContain("the client holds no session");
  });
});
