import { describe, expect, test } from "bun:test";
import { Counter, Histogram, Registry } from "prom-client";
import { sampleValue } from "../../test/support/metrics-samples.ts";
import { createLabelledCounter, createLabelledHistogram } from "./labelled-series.ts";

const BUCKETS = [0.1, 0.25, 1];
const COUNTER = { name: "test_requests_total", help: "Requests, by a, b and c." };
const HISTOGRAM = { name: "test_duration_seconds", help: 'Durations, by a and b: "quoted", back\\slash, new\nline.' };

/** One observation: the counter's three label values, then the histogram's value (on the first two). */
type Observation = [a: string, b: string, c: string, seconds: number];

const OBSERVATIONS: Observation[] = [
  ["GET", "/mcp", "200", 0.04],
  ["POST", "/mcp", "200", 0.1],
  ["GET", "/mcp", "200", 0.25],
  ["GET", "/mcp", "404", 1],
  ["POST", "/mcp", "500", 7.5],
  ["GET", 'say "hi"', "200", 0],
  ["GET", "back\\slash", "200", 0.1 + 0.2],
  ["GET", "new\nline", "200", 0.2500001],
  ["GET", "", "200", 0.25],
  ["POST", "/mcp", "200", 0.1],
  ["GET", 'say "hi"', "200", 1e-9],
];

/** Ours and prom-client's, each on a registry of its own with the same configuration. */
function pair(contentType: string = Registry.PROMETHEUS_CONTENT_TYPE) {
  const ours = new Registry();
  const theirs = new Registry();
  // prom-client's types tie a registry to one content type; at run time setContentType takes either.
  ours.setContentType(contentType as Registry["contentType"]);
  theirs.setContentType(contentType as Registry["contentType"]);
  const counter = createLabelledCounter({ ...COUNTER, labelNames: ["a", "b", "c"], registry: ours });
  const histogram = createLabelledHistogram({ ...HISTOGRAM, labelNames: ["a", "b"], buckets: BUCKETS, registry: ours });
  const counterRef = new Counter({ ...COUNTER, labelNames: ["a", "b", "c"], registers: [theirs] });
  const histogramRef = new Histogram({ ...HISTOGRAM, labelNames: ["a", "b"], buckets: BUCKETS, registers: [theirs] });
  const observe = (observations: Observation[]) => {
    for (const [a, b, c, seconds] of observations) {
      counter.inc(a, b, c);
      histogram.observe(seconds, a, b);
      counterRef.inc({ a, b, c });
      histogramRef.observe({ a, b }, seconds);
    }
  };
  return { ours, theirs, observe, histogram };
}

describe("labelled series", () => {
  test.each([
    ["Prometheus text", Registry.PROMETHEUS_CONTENT_TYPE, {}],
    ["Prometheus text with default labels", Registry.PROMETHEUS_CONTENT_TYPE, { instance: "gw-1" }],
    ["OpenMetrics", Registry.OPENMETRICS_CONTENT_TYPE, {}],
  ])("the %s exposition is prom-client's for the same observations", async (_, contentType, defaultLabels) => {
    const { ours, theirs, observe } = pair(contentType);
    ours.setDefaultLabels(defaultLabels);
    theirs.setDefaultLabels(defaultLabels);
    expect(await ours.metrics()).toBe(await theirs.metrics());

    observe(OBSERVATIONS);
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    // The comparison above is only as good as the reference: check it saw what these observations mean.
    const series = { a: "GET", b: "/mcp" };
    expect(sampleValue(text, "test_duration_seconds_bucket", { ...series, le: "0.1" })).toBe(1);
    expect(sampleValue(text, "test_duration_seconds_bucket", { ...series, le: "0.25" })).toBe(2);
    expect(sampleValue(text, "test_duration_seconds_bucket", { ...series, le: "+Inf" })).toBe(3);
    expect(text).toContain('b="say \\"hi\\""');
    expect(text).toContain('b="back\\\\slash"');
    expect(text).toContain('b="new\\nline"');
  });

  test("the JSON is prom-client's, but for the exemplar slots prom-client leaves empty", async () => {
    const { ours, theirs, observe } = pair();
    ours.setDefaultLabels({ instance: "gw-1" });
    theirs.setDefaultLabels({ instance: "gw-1" });
    observe(OBSERVATIONS);
    observe(OBSERVATIONS.slice(0, 3));
    const withoutExemplars = (metrics: unknown) =>
      JSON.parse(JSON.stringify(metrics, (key, value) => (key === "exemplar" ? undefined : value)));
    expect(withoutExemplars(await ours.getMetricsAsJSON())).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  test("resetMetrics empties the series, which then count afresh", async () => {
    const { ours, theirs, observe } = pair();
    observe(OBSERVATIONS);
    ours.resetMetrics();
    theirs.resetMetrics();
    expect(await ours.metrics()).not.toContain("test_requests_total{");
    observe(OBSERVATIONS.slice(4, 6));
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  test("a value that is not a finite number is refused and records nothing", async () => {
    const { ours, histogram } = pair();
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => histogram.observe(value, "GET", "/mcp")).toThrow(TypeError);
    }
    expect(await ours.metrics()).not.toContain("test_duration_seconds_count");
  });
});
