const BOTH = "application/json, text/event-stream";

/** True when the client can read an event stream, so a streamed response may be sent. */
export function acceptsEventStream(request: Request): boolean {
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

/**
 * A copy of `request` whose Accept header satisfies the SDKs' 2025 transports, or `request` itself.
 * They answer 406 unless a POST accepts both `application/json` and `text/event-stream`, while the
 * design's curl examples send neither.
 */
export function withTransportAccept(request: Request): Request {
  const accept = request.headers.get("accept") ?? "";
  if (accept.includes("application/json") && accept.includes("text/event-stream")) return request;
  const headers = new Headers(request.headers);
  headers.set("accept", BOTH);
  // A body already read (and handed over as parsedBody) cannot be copied, and is not needed.
  return request.bodyUsed
    ? new Request(request.url, { method: request.method, headers })
    : new Request(request, { headers });
}

/** Runs `close` once the response body has been fully sent, or the client went away. */
export function closeWhenDone(response: Response, close: () => void): Response {
  const source = response.body;
  if (!source) {
    close();
    return response;
  }
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        close();
        return;
      }
      controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
      close();
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
