/**
 * OpenTelemetry traces of MCP requests: a server span per request that continues the client's W3C
 * trace context, child spans for the catalog lookup and the call to a backend, and that call's context
 * sent on as `traceparent` (with the client's `tracestate`). Spans leave in batches over OTLP/HTTP.
 *
 * Nothing is registered with the OpenTelemetry API globally: each gateway keeps its own provider and
 * its own async context, as it keeps its own request context, so two gateways in one process (tests,
 * replicas) never export each other's spans. When tracing is off there is no Tracing at all, and
 * callers skip it with one check.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { FetchLike } from "@modelcontextprotocol/client";
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export interface TracingSettings {
  /** Where spans are posted: the OTLP/HTTP traces URL (`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`). */
  tracesUrl: string;
  serviceName: string;
}

/** One step of a request, a span under the request's; `outcome` is what it came to, `ok` when it did its job. */
export interface TracedStep {
  /** Runs `work` with this step as the current span, so that requests it sends to backends carry it. */
  run<T>(work: () => T): T;
  end(outcome: string, attributes?: Attributes): void;
}

export interface Tracing {
  /** Serves `request` in a server span whose parent is the client's `traceparent`, if it sent a valid one. */
  serve(request: Request, handle: () => Promise<Response>): Promise<Response>;
  /** Names the current request's span after the MCP message it carries (its method, and a tool call's tool). */
  describe(message: unknown): void;
  /** Starts a step of the current request, within the gateway or a call out of it; undefined outside of a request. */
  step(name: string, kind: "internal" | "client", attributes: Attributes): TracedStep | undefined;
  /** Wraps a fetch so that a request sent within a span carries that span's context. */
  decorateFetch(inner: FetchLike): FetchLike;
  /** Sends the spans not sent yet and stops. */
  close(): Promise<void>;
}

const MAX_ATTRIBUTE_LENGTH = 256;
const propagator = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => {
    const keys: string[] = [];
    headers.forEach((_, key) => {
      keys.push(key);
    });
    return keys;
  },
};
const headerSetter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

export function createTracing({ tracesUrl, serviceName }: TracingSettings): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    // A tool name comes from the client as it wrote it, of any length; spans keep a bounded part of it.
    spanLimits: { attributeValueLengthLimit: MAX_ATTRIBUTE_LENGTH },
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesUrl }) })],
  });
  const tracer = provider.getTracer("mcp-gateway");
  const current = new AsyncLocalStorage<Context>();

  return {
    async serve(request, handle) {
      const parent = propagator.extract(ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracer.startSpan(
        `${request.method} ${new URL(request.url).pathname}`,
        { kind: SpanKind.SERVER, attributes: { "rpc.system": "jsonrpc", "http.request.method": request.method } },
        parent,
      );
      try {
        // Ends when the response starts: for a JSON answer that is after the call, while an event
        // stream's call may outlive it (its backend span still ends when the call does).
        const response = await current.run(trace.setSpan(parent, span), handle);
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },

    describe(message) {
      const span = activeSpan(current);
      if (!span) return;
      if (Array.isArray(message)) {
        span.setAttribute("mcp.method", "batch");
        return;
      }
      const { method, params } = (message ?? {}) as { method?: unknown; params?: { name?: unknown } };
      if (typeof method !== "string") return;
      span.setAttribute("mcp.method", method);
      const tool = method === "tools/call" && typeof params?.name === "string" ? params.name : undefined;
      if (tool !== undefined) span.setAttribute("mcp.tool.name", tool);
      span.updateName(tool === undefined ? method : `${method} ${tool}`);
    },

    step(name, kind, attributes) {
      const parent = current.getStore();
      if (!parent) return undefined;
      const span = tracer.startSpan(
        name,
        { kind: kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes },
        parent,
      );
      const context = trace.setSpan(parent, span);
      return {
        run: (work) => current.run(context, work),
        end(outcome, more) {
          span.setAttributes({ outcome, ...more });
          // A failure is any outcome but ok (a tool's own error included, as OpenTelemetry's MCP conventions have it).
          if (outcome !== "ok") span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          span.end();
        },
      };
    },

    decorateFetch: (inner) => (url, init) => {
      const context = current.getStore();
      if (!context) return inner(url, init);
      const headers = new Headers(init?.headers);
      propagator.inject(context, headers, headerSetter);
      return inner(url, { ...init, headers });
    },

    close: () => provider.shutdown(),
  };
}

function activeSpan(current: AsyncLocalStorage<Context>): Span | undefined {
  const context = current.getStore();
  return context && trace.getSpan(context);
}
