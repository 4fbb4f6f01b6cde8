/**
 * A 2026-07-28 backend's input-required result through the gateway: the client gets the backend's
 * questions with a request state of the gateway's own, and its retry goes back to the same backend
 * with the backend's state and the answers, from whichever replica it reaches. A state the client
 * altered is refused; a 2025 client that declared nothing it can be asked gets the backend's error
 * saying so (one that did is asked by the gateway: legacy-input-rounds.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { firstText, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";
import { startRevisionBackend } from "../../test/support/revision-backend.ts";

const replicas = replicaPairServing("deployer", () => startRevisionBackend("2026-07-28", "modernEcho", { asks: true }));

const ELICITING_CLIENT = { elicitation: { form: {} } };

/** A 2026-07-28 request as plain HTTP: the body's envelope and the headers that must agree with it. */
function modernPost(gatewayUrl: string, method: string, params: Record<string, unknown>, id = 1) {
  const name: Record<string, string> = typeof params.name === "string" ? { "Mcp-Name": params.name } : {};
  const envelope = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": ELICITING_CLIENT,
    "io.modelcontextprotocol/clientInfo": { name: "relay-test", version: "1.0.0" },
  };
  return postMcp(
    `${gatewayUrl}/mcp`,
    TEST_BEARER,
    { jsonrpc: "2.0", id, method, params: { ...params, _meta: envelope } },
    "application/json, text/event-stream",
    { "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method, ...name },
  );
}

async function answerOf(
  response: Response,
): Promise<{ result?: Record<string, unknown>; error?: { code: number; data?: { reason?: string } } }> {
  const text = await response.text();
  // A single JSON body, or an event stream whose last data line is the answer.
  if (text.trimStart().startsWith("{")) return JSON.parse(text);
  const data = text.split("\n").filter((line) => line.startsWith("data: "));
  return JSON.parse(data.at(-1)?.slice("data: ".length) ?? "{}");
}

describe("a 2026-07-28 backend that asks for input during a call", () => {
  test("a v2 client answers the question and the call completes on the backend, with the backend's own state", async () => {
    const client = new Client(
      { name: "relay-test", version: "1.0.0" },
      { capabilities: ELICITING_CLIENT, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", async (request) => {
      asked.push(String(request.params.message));
      return { action: "accept", content: { confirm: true } };
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${replicas.a.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
      }),
    );
    replicas.backend.seen.length = 0;
    try {
      const result = await client.callTool({ name: "deploy", arguments: { target: "prod" } });
      expect(firstText(result)).toBe("deployed to prod (state backend-state:prod)");
    } finally {
      await client.close();
    }
    expect(asked).toEqual(["Deploy to prod?"]);
    const calls = replicas.backend.seen.filter((r) => r.method === "tools/call");
    expect(calls.map(({ inputResponses, requestState }) => ({ inputResponses, requestState }))).toEqual([
      { inputResponses: undefined, requestState: undefined },
      {
        inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
        requestState: "backend-state:prod",
      },
    ]);
    // The client's capabilities reach the backend, which asks only what the client can answer.
    expect(calls[0]?.meta?.["io.modelcontextprotocol/clientCapabilities"]).toEqual(ELICITING_CLIENT);
  });

  test("the state the client gets is the gateway's, and the other replica continues the call with it", async () => {
    const first = await answerOf(
      await modernPost(replicas.a.url, "tools/call", { name: "deploy", arguments: { target: "eu" } }),
    );
    expect(first.result).toMatchObject({
      resultType: "input_required",
      inputRequests: { confirm: expect.any(Object) },
    });
    const state = first.result?.requestState;
    expect(typeof state).toBe("string");
    expect(state).not.toBe("backend-state:eu");

    const retry = await answerOf(
      await modernPost(replicas.b.url, "tools/call", {
        name: "deploy",
        arguments: { target: "eu" },
        inputResponses: { confirm: { action: "accept", content: { confirm: false } } },
        requestState: state,
      }),
    );
    expect(firstText(retry.result ?? {})).toBe("kept away from eu (state backend-state:eu)");
  });

  test("a state the client altered, or one of another tool or method, is refused before any backend sees it", async () => {
    const first = await answerOf(
      await modernPost(replicas.a.url, "tools/call", { name: "deploy", arguments: { target: "us" } }),
    );
    const state = String(first.result?.requestState);
    const [version, body, mac] = state.split(".");
    // Readable, as the revision allows; the backend's state inside it is what a client might try to change.
    const payload = JSON.parse(Buffer.from(String(body), "base64url").toString()) as { p: Record<string, string> };
    expect(payload.p).toEqual({ service: "deployer", name: "deploy", state: "backend-state:us" });
    payload.p.state = "backend-state:everywhere";
    const forged = [version, Buffer.from(JSON.stringify(payload)).toString("base64url"), mac].join(".");
    replicas.backend.seen.length = 0;

    const refused = await answerOf(
      await modernPost(replicas.a.url, "tools/call", {
        name: "deploy",
        arguments: { target: "us" },
        inputResponses: { confirm: { action: "accept", content: { confirm: true } } },
        requestState: forged,
      }),
    );
    expect(refused.error?.code).toBe(-32602);
    const misused = await answerOf(
      await modernPost(replicas.a.url, "tools/call", {
        name: "modernEcho",
        arguments: { text: "hi" },
        requestState: state,
      }),
    );
    expect(misused.error?.code).toBe(-32602);
    // A tool call's state is bound to tools/call: the SDK's check refuses it on a prompt before the prompt is looked up.
    const elsewhere = await answerOf(
      await modernPost(replicas.a.url, "prompts/get", { name: "deploy", requestState: state }),
    );
    expect(elsewhere.error?.data?.reason).toBe("invalid_request_state");
    expect(replicas.backend.seen.filter((r) => r.method === "tools/call")).toEqual([]);
  });

  test("a 2025 client that declared nothing it can be asked gets the backend's error, and the backend is not held against it", async () => {
    const client = await replicas.a.client();
    const failure = await client.callTool({ name: "deploy", arguments: { target: "prod" } }).catch((e: Error) => e);
    // The gateway declares the client's capabilities, none, and the backend answers that it needs one (-32021, HTTP 400).
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { code?: number }).code).toBe(-32021);
    expect((failure as Error).message).toContain("elicitation");
    expect(replicas.a.gateway.pool.state("deployer")).toMatchObject({ status: "up", consecutiveFailures: 0 });
  });
});
