/**
 * A 2026-07-28 backend that asks for input during a call, called by a 2025 client: the gateway tells the
 * backend what the client declared it can be asked, asks the client each question as the 2025 request
 * of the same method on the call's stream, and retries the backend with the answers and its state,
 * round after round, until the call completes; the client's answers may reach either replica. A
 * backend that never stops asking, and a client that will not answer, end the call with a clear error.
 */
import { describe, expect, test } from "bun:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { connectBalancedClient, type SeenRequest } from "../../test/support/balanced-client.ts";
import { firstText } from "../../test/support/gateway-harness.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";
import { startRevisionBackend } from "../../test/support/revision-backend.ts";
import { MAX_INPUT_ROUNDS } from "./legacy-input-rounds.ts";

const replicas = replicaPairServing("asker", () => startRevisionBackend("2026-07-28", "modernEcho", { asks: true }));

const ASKABLE: ClientCapabilities = { elicitation: { form: {} }, sampling: {} };

/** A 1.x client over both replicas that answers elicitations with `name` and samples with `greeting`. */
async function answeringClient(
  capabilities: ClientCapabilities = ASKABLE,
  answers: { name?: string; greeting?: string } = {},
): Promise<{ client: Client; asked: string[]; seen: SeenRequest[] }> {
  const { client, seen } = await connectBalancedClient({ a: replicas.a.url, b: replicas.b.url }, "a", capabilities);
  const asked: string[] = [];
  if (capabilities.elicitation)
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(`elicitation: ${request.params.message}`);
      if (answers.name === undefined) throw new McpError(-32600, "the user closed the form");
      const content = request.params.message === "Which topic?" ? { topic: answers.name } : { name: answers.name };
      return { action: "accept", content };
    });
  if (capabilities.sampling)
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      asked.push(`sampling: ${content && !Array.isArray(content) && content.type === "text" ? content.text : "?"}`);
      return {
        role: "assistant",
        model: "test-model",
        content: { type: "text", text: answers.greeting ?? "hello" },
      };
    });
  return { client, asked, seen };
}

/** The tools/call rounds the backend saw, with what each carried from the one before. */
function greetRounds() {
  return replicas.backend.seen
    .filter((r) => r.method === "tools/call")
    .map(({ inputResponses, requestState }) => ({ inputResponses, requestState }));
}

describe("a 2026-07-28 backend's input-required result, for a 2025 client", () => {
  test.each([
    ["the fast path", {}],
    // A progress token takes the call through the SDK's server rather than the fast path.
    ["the SDK's server", { onprogress: () => {} }],
  ])(
    "the client is asked on the call's stream, round after round, and gets the complete result (%s)",
    async (_, options) => {
      const { client, asked, seen } = await answeringClient(ASKABLE, { name: "Ada", greeting: "Good morning" });
      replicas.backend.seen.length = 0;
      try {
        const result = await client.callTool({ name: "greet", arguments: {} }, undefined, options);
        expect(firstText(result)).toBe("Good morning (for Ada)");
      } finally {
        await client.close();
      }
      expect(asked).toEqual(["elicitation: What is your name?", "sampling: A greeting for Ada?"]);
      expect(greetRounds()).toEqual([
        { inputResponses: undefined, requestState: undefined },
        { inputResponses: { name: { action: "accept", content: { name: "Ada" } } }, requestState: "greet:1" },
        {
          inputResponses: {
            greeting: { role: "assistant", model: "test-model", content: { type: "text", text: "Good morning" } },
          },
          requestState: "greet:2:Ada",
        },
      ]);
      // The backend is told what the client declared it can be asked.
      const first = replicas.backend.seen.find((r) => r.method === "tools/call");
      expect(first?.meta?.["io.modelcontextprotocol/clientCapabilities"]).toEqual(ASKABLE);
      // The answers were posted to both replicas, whichever ran the call.
      const answeredOn = new Set(seen.filter((r) => r.method === "POST" && r.rpc === undefined).map((r) => r.replica));
      expect(answeredOn).toEqual(new Set(["a", "b"]));
    },
  );

  test("a prompt that asks first is answered the same way", async () => {
    const { client, asked } = await answeringClient(ASKABLE, { name: "tides" });
    try {
      const prompt = await client.getPrompt({ name: "briefing" });
      expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Brief me on tides." });
    } finally {
      await client.close();
    }
    expect(asked).toEqual(["elicitation: Which topic?"]);
  });

  test("a client that does not answer ends the call with a tool error that says so", async () => {
    const { client } = await answeringClient(ASKABLE, {});
    try {
      const result = await client.callTool({ name: "greet", arguments: {} });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain('asked the client for input ("elicitation/create"), which it did not give');
      expect(firstText(result)).toContain("the user closed the form");
    } finally {
      await client.close();
    }
  });

  test(`a backend that keeps asking is given up on after ${MAX_INPUT_ROUNDS} rounds`, async () => {
    const { client, asked } = await answeringClient(ASKABLE, { name: "Ada" });
    replicas.backend.seen.length = 0;
    try {
      const result = await client.callTool({ name: "pester", arguments: {} });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain(`asked for input ${MAX_INPUT_ROUNDS} times without completing`);
    } finally {
      await client.close();
    }
    expect(asked.length).toBe(MAX_INPUT_ROUNDS);
    expect(replicas.backend.seen.filter((r) => r.method === "tools/call").length).toBe(MAX_INPUT_ROUNDS + 1);
  });

  test("a client that declared only elicitation is declared so, and the backend refuses to ask it more", async () => {
    const { client, asked } = await answeringClient({ elicitation: { form: {} } }, { name: "Ada" });
    replicas.backend.seen.length = 0;
    try {
      const failure = await client.callTool({ name: "greet", arguments: {} }).catch((e: Error) => e);
      // The backend's own refusal to ask for sampling (-32021) reaches the client as it came.
      expect((failure as { code?: number }).code).toBe(-32021);
    } finally {
      await client.close();
    }
    expect(asked).toEqual(["elicitation: What is your name?"]);
    const first = replicas.backend.seen.find((r) => r.method === "tools/call");
    expect(first?.meta?.["io.modelcontextprotocol/clientCapabilities"]).toEqual({ elicitation: { form: {} } });
  });
});
