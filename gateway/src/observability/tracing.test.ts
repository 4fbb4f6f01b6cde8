import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { trace } from "@opentelemetry/api";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  connectClient,
  createTestVersionStore,
  type RunningGateway,
  registerServices,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../../test/support/otlp-receiver.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

// The client's side of each trace: a trace id per case, one parent span id, and a tracestate to pass on.
const CLIENT_SPAN = "b7ad6b7169203331";
const TRACE_STATE = "congo=t61rcWkgMzE";
const TRACES = {
  ok: "0af7651916cd43dd8448eb211c80319c",
  toolError: "1af7651916cd43dd8448eb211c80319c",
  unavailable: "2af7651916cd43dd8448eb211c80319c",
  untraced: "3af7651916cd43dd8448eb211c80319c",
  unknown: "4af7651916cd43dd8448eb211c80319c",
  batch: "5af7651916cd43dd8448eb211c80319c",
};
/** An argument no span may carry. */
const SECRET_ARGUMENT = "s3cret-argument-value";
const SERVICE_NAME = "gateway-under-test";
/** A tool no service has, with a name far longer than a span keeps. */
const UNKNOWN_TOOL = `nosuch${"x".repeat(5000)}`;

/** What the traced backend saw on each tools/call: the tool and the call's trace headers. */
const received: { tool: string; traceparent?: string; tracestate?: string }[] = [];

function tracedServer(): McpServer {
  const server = new McpServer({ name: "traced", version: "1.0.0" });
  const seen = (tool: string, headers: Record<string, string | string[] | undefined> = {}) =>
    received.push({
      tool,
      traceparent: headers.traceparent as string | undefined,
      tracestate: headers.tracestate as string | undefined,
    });
  server.registerTool("lookup", { description: "Answers." }, async (extra) => {
    seen("lookup", extra.requestInfo?.headers);
    return { content: [{ type: "text", text: "found" }] };
  });
  server.registerTool("broken", { description: "Fails as a tool." }, async (extra) => {
    seen("broken", extra.requestInfo?.headers);
    return { isError: true, content: [{ type: "text", text: "no luck" }] };
  });
  return server;
}

/** The trace headers of the call the traced backend got in `traceId`'s trace. */
function receivedIn(traceId: string): { tool: string; traceparent?: string; tracestate?: string } | undefined {
  return received.find((call) => call.traceparent?.split("-")[1] === traceId);
}

function goneServer(): McpServer {
  const server = new McpServer({ name: "gone", version: "1.0.0" });
  server.registerTool("vanish", { description: "Its service stops before it is called." }, async () => ({
    content: [{ type: "text", text: "never" }],
  }));
  return server;
}

let receiver: OtlpReceiver;
let traced: FixtureBackend;
let gone: FixtureBackend;
let database: TestDatabase;
const versionStores: VersionStore[] = [];
/** Whether each case's call came back as a tool error. */
const toolErrors: Record<string, boolean> = {};
let unknownToolError: string;
let batchStatus: number;

/** A gateway on the test's database, with a version store of its own. */
async function gatewayOn(settings: Parameters<typeof startGateway>[0]["settings"]): Promise<RunningGateway> {
  const versionStore = await createTestVersionStore();
  versionStores.push(versionStore);
  return startGateway({ database, versionStore, settings });
}

/** Calls a tool with an SDK client whose requests all carry the client's traceparent for `traceId`; true for a tool error. */
async function callTraced(gw: RunningGateway, traceId: string, name: string): Promise<boolean> {
  const client = await connectClient(`${gw.url}/mcp`, TEST_BEARER, {
    traceparent: `00-${traceId}-${CLIENT_SPAN}-01`,
    tracestate: TRACE_STATE,
  });
  try {
    const result = await client.callTool({ name, arguments: { note: SECRET_ARGUMENT } });
    return "isError" in result && result.isError === true;
  } finally {
    await client.close();
  }
}

/** A batch of two tools/list requests, which the SDK client never sends, in its own trace. */
async function postBatch(gw: RunningGateway): Promise<number> {
  const response = await fetch(`${gw.url}/mcp`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${TEST_BEARER}`,
      traceparent: `00-${TRACES.batch}-${CLIENT_SPAN}-01`,
    },
    body: JSON.stringify([1, 2].map((id) => ({ jsonrpc: "2.0", id, method: "tools/list" }))),
  });
  await response.body?.cancel();
  return response.status;
}

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = startOtlpReceiver();
  const on = await gatewayOn({ tracing: { tracesUrl: `${receiver.url}/v1/traces`, serviceName: SERVICE_NAME } });
  traced = startFixtureBackend(tracedServer);
  gone = startFixtureBackend(goneServer);
  await registerServices(on, { "traced-service": traced.url, "gone-service": gone.url });
  // Started once the services are registered, so its first catalog has them. Both gateways run at once,
  // so that spans of the untraced one would show if the traced one leaked into it.
  const off = await gatewayOn({});
  await gone.stop();
  toolErrors.ok = await callTraced(on, TRACES.ok, "lookup");
  toolErrors.toolError = await callTraced(on, TRACES.toolError, "broken");
  toolErrors.unavailable = await callTraced(on, TRACES.unavailable, "vanish");
  unknownToolError = await callTraced(on, TRACES.unknown, UNKNOWN_TOOL).then(String, (error: Error) => error.message);
  batchStatus = await postBatch(on);
  toolErrors.untraced = await callTraced(off, TRACES.untraced, "lookup");
  // Closing flushes the batch: the spans must arrive without waiting for the next scheduled export.
  await Promise.all([on.stop(), off.stop()]);
});

afterAll(async () => {
  await Promise.all([receiver?.stop(), traced?.stop(), gone?.stop(), ...versionStores.map((store) => store.close())]);
  await database?.close();
});

/** The spans of one case's trace: the tools/call request's, and its catalog lookup and backend call. */
function spansOf(traceId: string): { request: ReceivedSpan; lookup: ReceivedSpan; call?: ReceivedSpan } {
  const spans = receiver.spans.filter((span) => span.traceId === traceId);
  const request = spans.find((span) => span.attributes["mcp.method"] === "tools/call");
  const lookup = spans.find((span) => span.name === "catalog lookup");
  if (!request || !lookup) throw new Error(`no tools/call spans in trace ${traceId}: ${JSON.stringify(spans)}`);
  return { request, lookup, call: spans.find((span) => span.name === "backend tools/call") };
}

describe("traces with OTEL_EXPORTER_OTLP_ENDPOINT set", () => {
  test("the backend gets the client's trace id, a new parent span id (the gateway's call) and the tracestate", () => {
    expect(toolErrors.ok).toBe(false);
    const { call } = spansOf(TRACES.ok);
    expect(call).toBeDefined();
    expect(receivedIn(TRACES.ok)).toEqual({
      tool: "lookup",
      traceparent: `00-${TRACES.ok}-${call?.spanId}-01`,
      tracestate: TRACE_STATE,
    });
    expect(call?.spanId).not.toBe(CLIENT_SPAN);
  });

  test("the request span continues the client's span; the lookup and the backend call are its children", () => {
    const { request, lookup, call } = spansOf(TRACES.ok);
    expect(request).toMatchObject({
      serviceName: SERVICE_NAME,
      parentSpanId: CLIENT_SPAN,
      traceState: TRACE_STATE,
      name: "tools/call lookup",
      kind: 2,
      statusCode: 0,
      attributes: {
        "mcp.method": "tools/call",
        "mcp.tool.name": "lookup",
        "rpc.system": "jsonrpc",
        "http.response.status_code": 200,
      },
    });
    expect(lookup).toMatchObject({
      parentSpanId: request.spanId,
      kind: 1,
      attributes: { "mcp.tool.name": "lookup", "mcp.service": "traced-service", outcome: "ok" },
    });
    expect(call).toMatchObject({
      parentSpanId: request.spanId,
      kind: 3,
      statusCode: 0,
      attributes: {
        "rpc.system": "jsonrpc",
        "rpc.method": "tools/call",
        "mcp.service": "traced-service",
        "mcp.tool.name": "lookup",
        outcome: "ok",
      },
    });
  });

  test("a tool's own error and an unreachable service are the call's outcome, with the error status", () => {
    expect(toolErrors.toolError).toBe(true);
    expect(toolErrors.unavailable).toBe(true);
    const toolError = spansOf(TRACES.toolError).call;
    const unavailable = spansOf(TRACES.unavailable).call;
    expect(toolError).toMatchObject({
      statusCode: 2,
      attributes: { "mcp.service": "traced-service", "mcp.tool.name": "broken", outcome: "tool_error" },
    });
    expect(unavailable).toMatchObject({
      statusCode: 2,
      attributes: { "mcp.service": "gone-service", "mcp.tool.name": "vanish", outcome: "unavailable" },
    });
    expect(receivedIn(TRACES.toolError)?.traceparent).toBe(`00-${TRACES.toolError}-${toolError?.spanId}-01`);
  });

  test("an unknown tool ends at the catalog lookup, and a span keeps only the start of a long name", () => {
    expect(unknownToolError).toContain("Unknown tool");
    const { request, lookup, call } = spansOf(TRACES.unknown);
    expect(lookup).toMatchObject({
      parentSpanId: request.spanId,
      statusCode: 2,
      attributes: { outcome: "unknown_tool" },
    });
    expect(call).toBeUndefined();
    expect(request.attributes["mcp.tool.name"]).toBe(UNKNOWN_TOOL.slice(0, 256));
  });

  test("a batch's span says so", () => {
    expect(batchStatus).toBe(200);
    expect(receiver.spans.filter((span) => span.traceId === TRACES.batch)).toMatchObject([
      { name: "POST /mcp", parentSpanId: CLIENT_SPAN, attributes: { "mcp.method": "batch" } },
    ]);
  });

  test("spans carry neither the tool's arguments nor credentials", () => {
    const exported = JSON.stringify(receiver.spans);
    expect(exported).not.toContain(SECRET_ARGUMENT);
    expect(exported).not.toContain(TEST_BEARER);
    expect(receiver.rejected).toBe(0);
  });
});

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  test("nothing is exported, no trace header reaches the backend, and no provider is registered", () => {
    expect(toolErrors.untraced).toBe(false);
    expect(receiver.spans.filter((span) => span.traceId === TRACES.untraced)).toEqual([]);
    expect(receiver.spans.every((span) => span.serviceName === SERVICE_NAME)).toBe(true);
    // Three calls reached the traced backend; the untraced gateway's is the one without trace headers.
    expect(received).toHaveLength(3);
    expect(received.filter((call) => call.traceparent === undefined)).toEqual([
      { tool: "lookup", traceparent: undefined, tracestate: undefined },
    ]);
    // Neither gateway registered anything with the OpenTelemetry API: its global tracer still records nothing.
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
  });
});
