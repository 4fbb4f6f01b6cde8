/**
 * A 2025 backend that asks the client during a call (a server-to-client request on the call's stream),
 * called by a 2026-07-28 client: the client gets each question as an input-required result, its retry
 * answers the backend and continues the call held on the replica that started it, wherever the retry
 * lands; a state answered already, or of a call no longer held, is refused with advice. Held calls
 * are bounded: an unanswered question ends its call, and a retry whose replica does not acknowledge it
 * is refused.
 */
import { describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import { eventuallyAsync } from "../../test/support/eventually.ts";
import { firstText, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";
import { startStatefulFixtureBackend } from "../../test/support/stateful-fixture-backend.ts";
import { createSessionBus } from "../sessions/session-bus.ts";
import { createHeldCalls, type HeldCalls, type HeldStep } from "./held-calls.ts";

/** Its tool asks a name (elicitation), then a word (sampling), naming the call it belongs to. */
function askingServer(): McpServer {
  const server = new McpServer({ name: "legacy-asker", version: "1.0.0" });
  // Questions asked during request `requestId`, so that they travel on its stream.
  const askName = async (message: string, requestId: RequestId) => {
    const named = await server.server.elicitInput(
      { message, requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
      { relatedRequestId: requestId },
    );
    return named.action === "accept" ? String(named.content?.name) : named.action;
  };
  const askWord = async (text: string, requestId: RequestId) => {
    const sampled = await server.server.createMessage(
      { messages: [{ role: "user", content: { type: "text", text } }], maxTokens: 5 },
      { relatedRequestId: requestId },
    );
    return sampled.content.type === "text" ? sampled.content.text : "?";
  };
  server.registerTool("askTwice", { description: "Asks a name, then a word" }, async (extra) => {
    const name = await askName("What is your name?", extra.requestId);
    const word = await askWord(`A word for ${name}?`, extra.requestId);
    return { content: [{ type: "text", text: `hello ${name}, ${word}` }] };
  });
  // A prompt and a resource that ask too, as a 2025 server may during any request.
  server.registerPrompt("namedGreeting", { description: "Asks a name" }, async (extra) => {
    const name = await askName("Whom to greet?", extra.requestId);
    return { messages: [{ role: "user", content: { type: "text", text: `Greet ${name}` } }] };
  });
  server.registerResource("mood", "memo://mood", { description: "Asks for a word" }, async (uri, extra) => {
    const word = await askWord("A mood?", extra.requestId);
    return { contents: [{ uri: uri.href, text: `mood: ${word}` }] };
  });
  return server;
}

const replicas = replicaPairServing("legacy-asker", () => startStatefulFixtureBackend(askingServer));

const ASKABLE = { elicitation: { form: {} }, sampling: {} };

/** A v2 client pinned to 2026-07-28 whose POSTs alternate between the replicas. */
async function pinnedClient(): Promise<{ client: Client; asked: string[]; landed: string[] }> {
  const landed: string[] = [];
  let turn = 0;
  const balanced = (input: string | URL | Request, init?: RequestInit) => {
    const replica = turn++ % 2 === 0 ? replicas.a : replicas.b;
    landed.push(replica === replicas.a ? "a" : "b");
    return fetch(new URL(new URL(String(input)).pathname, replica.url), init);
  };
  const client = new Client(
    { name: "held-test", version: "1.0.0" },
    { capabilities: ASKABLE, versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  const asked: string[] = [];
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(`elicitation: ${request.params.message}`);
    return { action: "accept", content: { name: "Ada" } };
  });
  client.setRequestHandler("sampling/createMessage", async (request) => {
    const content = request.params.messages[0]?.content;
    asked.push(`sampling: ${content && !Array.isArray(content) && content.type === "text" ? content.text : "?"}`);
    return { role: "assistant", model: "test-model", content: { type: "text", text: "blue" } };
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${replicas.a.url}/mcp`), {
      fetch: balanced,
      requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
    }),
  );
  return { client, asked, landed };
}

/** A 2026-07-28 tools/call as plain HTTP. */
async function modernCall(url: string, params: Record<string, unknown>) {
  const envelope = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": ASKABLE,
    "io.modelcontextprotocol/clientInfo": { name: "held-test", version: "1.0.0" },
  };
  const response = await postMcp(
    `${url}/mcp`,
    TEST_BEARER,
    { jsonrpc: "2.0", id: 1, method: "tools/call", params: { ...params, _meta: envelope } },
    "application/json, text/event-stream",
    { "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": String(params.name) },
  );
  const text = await response.text();
  const data = text.trimStart().startsWith("{")
    ? text
    : (text.split("\n").findLast((l) => l.startsWith("data: ")) ?? "").slice(6);
  return JSON.parse(data) as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

describe("a 2025 backend that asks a 2026-07-28 client during a call", () => {
  test("each question reaches the client as an input-required result, and the call goes on wherever the retry lands", async () => {
    const { client, asked, landed } = await pinnedClient();
    try {
      const result = await client.callTool({ name: "askTwice", arguments: {} });
      expect(firstText(result)).toBe("hello Ada, blue");
    } finally {
      await client.close();
    }
    expect(asked).toEqual(["elicitation: What is your name?", "sampling: A word for Ada?"]);
    // The call and its two retries: at least one retry reached the replica not holding the call.
    expect(new Set(landed)).toEqual(new Set(["a", "b"]));
  });

  test("a prompt and a resource read whose service asks are held alike, and continue on the other replica", async () => {
    const { client, asked, landed } = await pinnedClient();
    try {
      const prompt = await client.getPrompt({ name: "namedGreeting" });
      expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Greet Ada" });
      const read = await client.readResource({ uri: "memo://mood" });
      expect(read.contents[0]).toMatchObject({ uri: "memo://mood", text: "mood: blue" });
    } finally {
      await client.close();
    }
    expect(asked).toEqual(["elicitation: Whom to greet?", "sampling: A mood?"]);
    // Each request started on one replica and its retry reached the other (the POSTs alternate).
    const [promptStart, promptRetry, readStart, readRetry] = landed.slice(-4);
    expect([promptRetry, readRetry]).toEqual([promptStart === "a" ? "b" : "a", readStart === "a" ? "b" : "a"]);
  });

  test("a state answered already, or of a call that ended, is refused with advice; an answer missing is named", async () => {
    const first = await modernCall(replicas.a.url, { name: "askTwice", arguments: {} });
    expect(first.result).toMatchObject({
      resultType: "input_required",
      inputRequests: { "input-1": { method: "elicitation/create" } },
    });
    const state = first.result?.requestState;

    const unanswered = await modernCall(replicas.b.url, {
      name: "askTwice",
      arguments: {},
      inputResponses: {},
      requestState: state,
    });
    expect(unanswered.error?.code).toBe(-32602);
    expect(unanswered.error?.message).toContain('lack "input-1"');

    const answer = { "input-1": { action: "accept", content: { name: "Bo" } } };
    const second = await modernCall(replicas.b.url, {
      name: "askTwice",
      arguments: {},
      inputResponses: answer,
      requestState: state,
    });
    expect(second.result).toMatchObject({
      resultType: "input_required",
      inputRequests: { "input-2": expect.any(Object) },
    });

    const replayed = await modernCall(replicas.a.url, {
      name: "askTwice",
      arguments: {},
      inputResponses: answer,
      requestState: state,
    });
    expect(replayed.error?.code).toBe(-32602);
    expect(replayed.error?.message).toContain("answered already");

    const done = await modernCall(replicas.a.url, {
      name: "askTwice",
      arguments: {},
      inputResponses: { "input-2": { role: "assistant", model: "m", content: { type: "text", text: "green" } } },
      requestState: second.result?.requestState,
    });
    expect(firstText(done.result ?? {})).toBe("hello Bo, green");

    const ended = await modernCall(replicas.b.url, {
      name: "askTwice",
      arguments: {},
      inputResponses: answer,
      requestState: second.result?.requestState,
    });
    expect(ended.error?.code).toBe(-32602);
    expect(ended.error?.message).toContain("call again without requestState");
  });
});

const ELICITATION = {
  method: "elicitation/create",
  params: { message: "Name?", requestedSchema: { type: "object", properties: {} } },
};

function questionOf(step: HeldStep) {
  if (!("question" in step)) throw new Error(`expected a question, got ${JSON.stringify(step)}`);
  return step.question;
}

describe("the bounds of held calls", () => {
  const never = new AbortController().signal;

  /**
   * Starts a call whose backend asks ELICITATION of a client able to answer it; `told` settles with what
   * the backend got back instead of an answer (undefined if it was answered).
   */
  async function startAsking(held: HeldCalls) {
    const told = Promise.withResolvers<{ code?: unknown; message: string } | undefined>();
    const step = await held.start(
      async (ask, signal) => {
        await ask(ELICITATION, signal).then(() => told.resolve(undefined), told.resolve);
        return { content: [] };
      },
      never,
      { elicitation: {} },
    );
    return { step, told: told.promise };
  }

  test("a question left unanswered ends its call, and its state is then refused", async () => {
    const bus = await createSessionBus({ keyPrefix: `test:${crypto.randomUUID()}:` });
    const held = createHeldCalls(bus, { holdMs: 20 });
    try {
      const { step, told } = await startAsking(held);
      const { at } = questionOf(step);
      const backendSaw = await told;
      expect(backendSaw?.message).toContain("The client did not answer within");
      // The 1.x SDK's "request timeout", as the backend has always been told.
      expect(backendSaw?.code).toBe(-32001);
      await eventuallyAsync(async () =>
        (await held.resume(at, { "input-1": { action: "cancel" } }, never).catch((e: Error) => e.message))
          .toString()
          .includes("call again without requestState"),
      );
    } finally {
      held.close();
      await bus.close();
    }
  });

  test("a retry passed to a replica that does not acknowledge it is refused with advice", async () => {
    // Two replicas that share no bus: the holder never hears of the retry.
    const busA = await createSessionBus({ keyPrefix: `test:${crypto.randomUUID()}:` });
    const busB = await createSessionBus({ keyPrefix: `test:${crypto.randomUUID()}:` });
    const a = createHeldCalls(busA);
    const b = createHeldCalls(busB, { ackMs: 20 });
    try {
      const step = await a.start((ask, signal) => ask(ELICITATION, signal), never, { elicitation: {} });
      const refused = await b.resume(questionOf(step).at, {}, never).catch((e: Error & { code?: number }) => e);
      expect((refused as { code?: number }).code).toBe(-32602);
      expect((refused as Error).message).toContain("call again without requestState");
    } finally {
      a.close();
      b.close();
      await Promise.all([busA.close(), busB.close()]);
    }
  });

  test("a question the client did not declare the capability for is refused to the backend at once", async () => {
    const bus = await createSessionBus({ keyPrefix: `test:${crypto.randomUUID()}:` });
    const held = createHeldCalls(bus);
    try {
      const step = await held.start(
        async (ask, signal) => {
          const refusal = await ask(ELICITATION, signal).catch((error: Error) => error.message);
          return { content: [{ type: "text", text: String(refusal) }] };
        },
        never,
        { sampling: {} },
      );
      expect(step).toEqual({
        result: {
          content: [{ type: "text", text: expect.stringContaining('did not declare the "elicitation" capability') }],
        },
      });
    } finally {
      held.close();
      await bus.close();
    }
  });

  test("a call still held when the gateway closes tells its backend so", async () => {
    const bus = await createSessionBus({ keyPrefix: `test:${crypto.randomUUID()}:` });
    const held = createHeldCalls(bus);
    try {
      const { told } = await startAsking(held);
      held.close();
      const backendSaw = await told;
      expect(backendSaw?.message).toBe("The gateway is shutting down");
      // The 1.x SDK's "connection closed", as the backend has always been told.
      expect(backendSaw?.code).toBe(-32000);
    } finally {
      held.close();
      await bus.close();
    }
  });
});
