import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { parseSamples, sampleValue } from "../../test/support/metrics-samples.ts";
import { createGatewayMetrics, type ObservedBackend } from "./metrics.ts";

function metricsOver(backends: ObservedBackend[] = [], processMetrics = false) {
  return createGatewayMetrics({ registry: new Registry(), backends: () => backends, processMetrics });
}

describe("gateway metrics", () => {
  test("two gateways in one process count apart", async () => {
    const first = metricsOver();
    const second = metricsOver();
    first.toolCall({ service: "shop", tool: "find", outcome: "ok", durationMs: 12 });
    first.toolCall({ service: "shop", tool: "find", outcome: "ok", durationMs: 30 });

    const labels = { service: "shop", tool: "find", outcome: "ok" };
    expect(sampleValue(await first.registry.metrics(), "mcp_gateway_tool_calls_total", labels)).toBe(2);
    expect(sampleValue(await second.registry.metrics(), "mcp_gateway_tool_calls_total", labels)).toBeUndefined();
  });

  test("durations are recorded in seconds", async () => {
    const metrics = metricsOver();
    metrics.toolCall({ service: "shop", tool: "find", outcome: "tool_error", durationMs: 250 });
    metrics.httpRequest({ method: "GET", route: "/services", status: 200, durationMs: 40 });
    const text = await metrics.registry.metrics();
    expect(
      sampleValue(text, "mcp_gateway_tool_call_duration_seconds_sum", { service: "shop", tool: "find" }),
    ).toBeCloseTo(0.25);
    expect(
      sampleValue(text, "mcp_gateway_tool_call_duration_seconds_bucket", { service: "shop", tool: "find", le: "0.1" }),
    ).toBe(0);
    expect(
      sampleValue(text, "mcp_gateway_tool_call_duration_seconds_bucket", { service: "shop", tool: "find", le: "0.25" }),
    ).toBe(1);
    expect(
      sampleValue(text, "mcp_gateway_http_request_duration_seconds_sum", { method: "GET", route: "/services" }),
    ).toBeCloseTo(0.04);
  });

  test("HTTP durations fall in prom-client's default buckets, which the histogram has always had", async () => {
    const metrics = metricsOver();
    const reference = new Registry();
    const histogram = new Histogram({
      name: "reference",
      help: "-",
      labelNames: ["method", "route"],
      registers: [reference],
    });
    for (const durationMs of [0, 5, 5.5, 100, 2500, 10_000, 20_000]) {
      metrics.httpRequest({ method: "GET", route: "/services", status: 200, durationMs });
      histogram.observe({ method: "GET", route: "/services" }, durationMs / 1000);
    }
    const buckets = (text: string, name: string) =>
      parseSamples(text)
        .filter((sample) => sample.name === name)
        .map(({ labels, value }) => ({ labels, value }));
    const ours = buckets(await metrics.registry.metrics(), "mcp_gateway_http_request_duration_seconds_bucket");
    expect(ours).toHaveLength(12);
    expect(ours).toEqual(buckets(await reference.metrics(), "reference_bucket"));
  });

  test("methods outside the standard set share one label value", async () => {
    const metrics = metricsOver();
    metrics.httpRequest({ method: "BREW", route: "(unmatched)", status: 404, durationMs: 1 });
    metrics.httpRequest({ method: "PROPFIND", route: "(unmatched)", status: 404, durationMs: 1 });
    const text = await metrics.registry.metrics();
    expect(
      sampleValue(text, "mcp_gateway_http_requests_total", { method: "other", route: "(unmatched)", status: "404" }),
    ).toBe(2);
    expect(text).not.toContain("BREW");
  });

  test("catalog reloads set the version and count", async () => {
    const metrics = metricsOver();
    metrics.catalogReloaded({ version: 7, services: 2, tools: 4, durationMs: 3 });
    metrics.catalogReloaded({ version: 9, services: 1, tools: 2, durationMs: 5 });
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, "mcp_gateway_catalog_version")).toBe(9);
    expect(sampleValue(text, "mcp_gateway_catalog_services")).toBe(1);
    expect(sampleValue(text, "mcp_gateway_catalog_tools")).toBe(2);
    expect(sampleValue(text, "mcp_gateway_catalog_reloads_total")).toBe(2);
    expect(sampleValue(text, "mcp_gateway_catalog_reload_duration_seconds_count")).toBe(2);
  });

  test("backend gauges show the pool as it is at scrape time", async () => {
    const backends: ObservedBackend[] = [
      { name: "up-one", status: "up" },
      { name: "down-one", status: "down" },
      { name: "new-one", status: "unknown" },
    ];
    const metrics = metricsOver(backends);
    let text = await metrics.registry.metrics();
    expect(sampleValue(text, "mcp_gateway_backend_up", { service: "up-one" })).toBe(1);
    expect(sampleValue(text, "mcp_gateway_backend_up", { service: "down-one" })).toBe(0);
    expect(sampleValue(text, "mcp_gateway_backend_up", { service: "new-one" })).toBe(-1);
    expect(parseSamples(text).filter((s) => s.name === "mcp_gateway_backend_circuit_state")).toEqual([]);

    backends.splice(1, 2);
    backends[0] = { name: "up-one", status: "down" };
    text = await metrics.registry.metrics();
    expect(sampleValue(text, "mcp_gateway_backend_up", { service: "up-one" })).toBe(0);
    expect(sampleValue(text, "mcp_gateway_backend_up", { service: "down-one" })).toBeUndefined();
  });

  test("circuit state is one series per backend, labelled with the current state", async () => {
    const metrics = metricsOver([
      { name: "a", status: "down", circuit: "open" },
      { name: "b", status: "up", circuit: "half-open" },
      { name: "c", status: "up" },
    ]);
    const circuits = parseSamples(await metrics.registry.metrics()).filter(
      (s) => s.name === "mcp_gateway_backend_circuit_state",
    );
    expect(circuits).toEqual([
      { name: "mcp_gateway_backend_circuit_state", labels: { service: "a", state: "open" }, value: 1 },
      { name: "mcp_gateway_backend_circuit_state", labels: { service: "b", state: "half-open" }, value: 1 },
    ]);
  });

  test("process metrics land on the gateway's registry when asked for", async () => {
    const withProcess = metricsOver([], true);
    const without = metricsOver();
    expect(
      sampleValue(await withProcess.registry.metrics(), "mcp_gateway_process_resident_memory_bytes"),
    ).toBeGreaterThan(0);
    expect(await without.registry.metrics()).not.toContain("process_resident_memory_bytes");
  });
});
