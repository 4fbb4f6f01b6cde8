/**
 * The gateway's Prometheus metrics, on a registry of its own (never prom-client's global one), so that
 * several gateways in one process each report their own numbers. Labels come from bounded sets: route
 * patterns rather than raw paths, registered services and their tools, a fixed list of methods.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from "prom-client";
import type { BackendStatus } from "../federation/backend-pool.ts";
import type { GatewayMcpDeps } from "../mcp/gateway-mcp-server.ts";
import { createLabelledCounter, createLabelledHistogram } from "./labelled-series.ts";

export type ToolCallEvent = Parameters<NonNullable<GatewayMcpDeps["onToolCall"]>>[0];

export interface HttpRequestEvent {
  method: string;
  /** The matched route pattern (`/update/:name`), never the raw path. */
  route: string;
  status: number;
  durationMs: number;
}

/** What the metrics read of a backend. `circuit` is optional so a pool without breakers reports too. */
export interface ObservedBackend {
  name: string;
  status: BackendStatus;
  /** The circuit breaker's state name, e.g. closed, open, half-open. */
  circuit?: string;
  /** Requests in flight and waiting for a slot now, and refused for want of one since start. */
  calls?: { inFlight: number; waiting: number; refused: number };
}

export interface GatewayMetricsDeps {
  registry: Registry;
  /** Read at every scrape, so the gauges show the pool as it is, not as it last changed. */
  backends: () => readonly ObservedBackend[];
  /**
   * Also export the process's CPU, memory and event-loop metrics. Only the owner of the process turns
   * this on: prom-client's event-loop monitor cannot be stopped, so a gateway closed in a test would
   * leave it running.
   */
  processMetrics?: boolean;
}

export interface GatewayMetrics {
  registry: Registry;
  httpRequest(event: HttpRequestEvent): void;
  toolCall(event: ToolCallEvent): void;
  catalogReloaded(event: { version: number; services: number; tools: number; durationMs: number }): void;
  governanceEvent(event: { kind: string; service: string }): void;
  /** A registration or refresh left out `count` definitions of one kind that a service listed. */
  definitionsRejected(event: { service: string; kind: string; count: number }): void;
}

const PREFIX = "mcp_gateway_";
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const STATUS_VALUE: Record<BackendStatus, number> = { up: 1, down: 0, unknown: -1 };
/** prom-client's default buckets, which this histogram had when it was one of prom-client's. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Tool calls may legitimately run up to the call timeout (30 s by default). */
const TOOL_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createGatewayMetrics({
  registry,
  backends,
  processMetrics = false,
}: GatewayMetricsDeps): GatewayMetrics {
  const registers = [registry];
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: PREFIX });

  // Observed on every request, so kept off prom-client's per-observation label handling (labelled-series.ts).
  const httpRequests = createLabelledCounter({
    name: `${PREFIX}http_requests_total`,
    help: "HTTP requests answered, by method, matched route and status.",
    labelNames: ["method", "route", "status"],
    registry,
  });
  const httpDuration = createLabelledHistogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: "Time until the response (or the start of its stream) was ready, by method and matched route.",
    labelNames: ["method", "route"],
    buckets: HTTP_BUCKETS,
    registry,
  });
  const toolCalls = createLabelledCounter({
    name: `${PREFIX}tool_calls_total`,
    help: "Tool calls routed to backends, by service, backend tool name and outcome (ok, tool_error, unavailable, busy, too_large, error).",
    labelNames: ["service", "tool", "outcome"],
    registry,
  });
  const toolDuration = createLabelledHistogram({
    name: `${PREFIX}tool_call_duration_seconds`,
    help: "Duration of routed tool calls, by service and backend tool name.",
    labelNames: ["service", "tool"],
    buckets: TOOL_CALL_BUCKETS,
    registry,
  });
  const catalogVersion = new Gauge({
    name: `${PREFIX}catalog_version`,
    help: "Version of the catalog this gateway serves.",
    registers,
  });
  const catalogServices = new Gauge({
    name: `${PREFIX}catalog_services`,
    help: "Services in the served catalog.",
    registers,
  });
  const catalogTools = new Gauge({ name: `${PREFIX}catalog_tools`, help: "Tools in the served catalog.", registers });
  const catalogReloads = new Counter({
    name: `${PREFIX}catalog_reloads_total`,
    help: "Catalog reloads from the registry.",
    registers,
  });
  const reloadDuration = new Histogram({
    name: `${PREFIX}catalog_reload_duration_seconds`,
    help: "Duration of catalog reloads from the registry.",
    registers,
  });
  new Gauge({
    name: `${PREFIX}backend_up`,
    help: "Last known state of each backend: 1 up, 0 down, -1 not yet known.",
    labelNames: ["service"] as const,
    registers,
    collect() {
      this.reset();
      for (const backend of backends()) this.set({ service: backend.name }, STATUS_VALUE[backend.status]);
    },
  });
  new Gauge({
    name: `${PREFIX}backend_circuit_state`,
    help: "Circuit breaker state of each backend: 1 on the series whose `state` label is the current state.",
    labelNames: ["service", "state"] as const,
    registers,
    collect() {
      this.reset();
      for (const { name, circuit } of backends()) {
        if (circuit !== undefined) this.set({ service: name, state: circuit }, 1);
      }
    },
  });

  const callGauge = (name: string, help: string, read: (calls: NonNullable<ObservedBackend["calls"]>) => number) =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames: ["service"] as const,
      registers,
      collect() {
        this.reset();
        for (const { name: service, calls } of backends()) if (calls) this.set({ service }, read(calls));
      },
    });
  callGauge("backend_calls_in_flight", "Requests to each backend under way now.", (calls) => calls.inFlight);
  callGauge(
    "backend_calls_waiting",
    "Requests waiting for one of each backend's call slots now.",
    (calls) => calls.waiting,
  );
  new Counter({
    name: `${PREFIX}backend_calls_refused_total`,
    help: "Requests to each backend refused at once because its call slots and waiting line were full (or the gateway's).",
    labelNames: ["service"] as const,
    registers,
    collect() {
      this.reset();
      for (const { name: service, calls } of backends()) if (calls) this.inc({ service }, calls.refused);
    },
  });

  const governanceEvents = new Counter({
    name: `${PREFIX}governance_events_total`,
    help: "Tool governance events, by service and kind (tool_held, tool_flagged, tool_approved, override_set, override_removed, pinning_set, limits_set).",
    labelNames: ["service", "kind"] as const,
    registers,
  });
  const definitionsRejected = new Counter({
    name: `${PREFIX}definitions_rejected_total`,
    help: "Tools, resources, resource templates and prompts a service listed that the gateway left out as invalid.",
    labelNames: ["service", "kind"] as const,
    registers,
  });

  return {
    registry,
    httpRequest({ method, route, status, durationMs }) {
      const known = KNOWN_METHODS.has(method) ? method : "other";
      httpRequests.inc(known, route, String(status));
      httpDuration.observe(durationMs / 1000, known, route);
    },
    toolCall({ service, tool, outcome, durationMs }) {
      toolCalls.inc(service, tool, outcome);
      toolDuration.observe(durationMs / 1000, service, tool);
    },
    catalogReloaded({ version, services, tools, durationMs }) {
      catalogVersion.set(version);
      catalogServices.set(services);
      catalogTools.set(tools);
      catalogReloads.inc();
      reloadDuration.observe(durationMs / 1000);
    },
    governanceEvent({ kind, service }) {
      governanceEvents.inc({ service, kind });
    },
    definitionsRejected({ service, kind, count }) {
      definitionsRejected.inc({ service, kind }, count);
    },
  };
}
