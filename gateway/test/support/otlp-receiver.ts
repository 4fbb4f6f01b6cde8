/**
 * An OTLP/HTTP trace receiver for tests: takes what an exporter posts to `/v1/traces` (OTLP JSON, as
 * the gateway's exporter sends it) and keeps each span decoded, with its resource's `service.name` and
 * its attributes as plain values.
 */
export interface ReceivedSpan {
  serviceName: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  attributes: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT would name it. */
  url: string;
  spans: ReceivedSpan[];
  /** Requests that were not a trace export this receiver could read. */
  rejected: number;
  stop(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, "serviceName" | "attributes" | "statusCode"> & {
        attributes?: OtlpAttribute[];
        status?: { code?: number };
      })[];
    }[];
  }[];
}

export function startOtlpReceiver(): OtlpReceiver {
  const receiver: Omit<OtlpReceiver, "url" | "stop"> = { spans: [], rejected: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (
        request.method !== "POST" ||
        path !== "/v1/traces" ||
        request.headers.get("content-type") !== "application/json"
      ) {
        receiver.rejected++;
        return new Response(null, { status: 404 });
      }
      receiver.spans.push(...decode((await request.json()) as OtlpExport));
      return Response.json({});
    },
  });
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${server.port}`,
    stop: () => server.stop(true),
  });
}

function decode(body: OtlpExport): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resourceSpans) => {
    const serviceName = String(attributesOf(resourceSpans.resource?.attributes)["service.name"]);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map(({ attributes, status, ...span }) => ({
        ...span,
        serviceName,
        statusCode: status?.code ?? 0,
        attributes: attributesOf(attributes),
      })),
    );
  });
}

function attributesOf(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        value.boolValue ??
        (value.intValue === undefined ? value.doubleValue : Number(value.intValue)),
    ]),
  );
}
