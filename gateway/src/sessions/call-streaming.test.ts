/**
 * A call's stream and its end: backend log messages reach the client on the call's response, a client
 * that disconnects aborts the call at the backend, and `notifications/cancelled` aborts it from another
 * replica than the one running it.
 */
import { describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { connectBalancedClient } from "../../test/support/balanced-client.ts";
import { eventually } from "../../test/support/eventually.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { firstText, TEST_BEARER } from "../../test/support/gateway-harness.ts";
import { replicaPairServing } from "../../test/support/replica-pair.ts";

/** Calls of `waitForAbort` by label: started, and aborted at the backend. */
const started = new Set<string>();
const aborted = new Set<string>();

function fixtureServer(): McpServer {
  const server = new McpServer({ name: "streaming-fixture", version: "1.0.0" }, { capabilities: { logging: {} } });
  server.registerTool("chatty", { description: "Logs twice, then answers." }, async (extra) => {
    for (const data of ["looking", "found it"])
      await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
    return { content: [{ type: "text", text: "done" }] };
  });
  server.registerTool(
    "waitForAbort",
    { description: "Answers only when aborted.", inputSchema: { label: z.string() } },
    async ({ label }, extra) => {
      started.add(label);
      await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve(), { once: true }));
      aborted.add(label);
      return { content: [{ type: "text", text: "aborted" }] };
    },
  );
  return server;
}

// A call's timeout would also abort `waitForAbort` at the backend; longer than a test may run, it leaves
// only the cancellation under test to end the call, so a cancellation that goes nowhere fails the test.
const pair = replicaPairServing("streaming", () => startFixtureBackend(fixtureServer), { toolCallTimeoutMs: 600_000 });

describe("a call's stream", () => {
  test.each([
    ["the fast path", {}],
    ["the SDK path (with a progress token)", { onprogress: () => {} }],
  ])("relays the backend's log messages on %s", async (_path, options) => {
    const { client } = await connectBalancedClient({ a: pair.a.url, b: pair.b.url }, "a");
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
    try {
      const result = await client.callTool({ name: "chatty" }, undefined, options);
      expect(firstText(result)).toBe("done");
      expect(logs).toEqual(["looking", "found it"]);
    } finally {
      await client.close();
    }
  });

  test("a client that disconnects aborts the call at the backend", async () => {
    const disconnect = new AbortController();
    const call = fetch(`${pair.a.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${TEST_BEARER}`,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "waitForAbort", arguments: { label: "disconnect" } },
      }),
      signal: disconnect.signal,
    }).catch(() => undefined);
    await eventually(() => started.has("disconnect"));
    disconnect.abort();
    await call;
    await eventually(() => aborted.has("disconnect"));
  });

  test("notifications/cancelled through one replica aborts the call running on the other", async () => {
    const { client, seen } = await connectBalancedClient({ a: pair.a.url, b: pair.b.url }, "a");
    try {
      const cancel = new AbortController();
      const call = client
        .callTool({ name: "waitForAbort", arguments: { label: "cancelled" } }, undefined, { signal: cancel.signal })
        .catch((e: Error) => e);
      await eventually(() => started.has("cancelled"));
      cancel.abort("changed my mind");
      expect(await call).toBeInstanceOf(Error);
      await eventually(() => aborted.has("cancelled"));
      const callOn = seen.find((s) => s.rpc === "tools/call")?.replica;
      const cancelOn = seen.find((s) => s.rpc === "notifications/cancelled")?.replica;
      expect(callOn).toBeDefined();
      expect(cancelOn).toBeDefined();
      expect(cancelOn).not.toBe(callOn);
    } finally {
      await client.close();
    }
  });

  test("notifications/cancelled alone aborts the call, while the call's own request stays open", async () => {
    // The SDK client also drops the call's HTTP request when it cancels, which aborts the call by itself.
    const post = (url: string, message: object, sessionId?: string) =>
      fetch(`${url}/mcp`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          Authorization: `Bearer ${TEST_BEARER}`,
          ...(sessionId === undefined ? {} : { "Mcp-Session-Id": sessionId }),
        },
        body: JSON.stringify({ jsonrpc: "2.0", ...message }),
      });
    const initialized = await post(pair.a.url, {
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "test", version: "1.0.0" } },
    });
    const sessionId = initialized.headers.get("mcp-session-id") ?? "";
    expect(sessionId).not.toBe("");
    const call = post(
      pair.a.url,
      { id: "call-1", method: "tools/call", params: { name: "waitForAbort", arguments: { label: "bus" } } },
      sessionId,
    );
    await eventually(() => started.has("bus"));
    const cancelled = await post(
      pair.b.url,
      { method: "notifications/cancelled", params: { requestId: "call-1", reason: "changed my mind" } },
      sessionId,
    );
    expect(cancelled.status).toBe(202);
    await eventually(() => aborted.has("bus"));
    // Cancelled, not ended by the call's timeout, which would abort it at the backend too.
    expect(await (await call).json()).toMatchObject({ id: "call-1", error: { message: "cancelled by the client" } });
  });
});
