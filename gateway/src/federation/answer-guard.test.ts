import { describe, expect, test } from "bun:test";
import { guardAnswer, requestIdOf } from "./answer-guard.ts";

const SSE = { "content-type": "text/event-stream" };
const event = (message: object) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** A response whose body sends `chunks` and then ends, or breaks when `breakWith` is given. */
function streamed(chunks: string[], breakWith?: Error, headers: Record<string, string> = SSE): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (breakWith) controller.error(breakWith);
      else controller.close();
    },
  });
  return new Response(body, { headers });
}

describe("answer guard", () => {
  test("finds the request id in a POST body", () => {
    expect(requestIdOf({ method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call" }) })).toBe(
      7,
    );
    expect(
      requestIdOf({ method: "POST", body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) }),
    ).toBeUndefined();
    expect(requestIdOf({ method: "GET" })).toBeUndefined();
  });

  test("passes a stream that carries the answer through unchanged, even split across chunks", async () => {
    const text =
      event({ jsonrpc: "2.0", method: "notifications/progress", params: {} }) +
      event({ jsonrpc: "2.0", id: 3, result: {} });
    const chunks = [text.slice(0, 40), text.slice(40, 90), text.slice(90)];
    expect(await guardAnswer(streamed(chunks), 3).text()).toBe(text);
  });

  test("ends a stream that closed without the answer with an error for the request", async () => {
    const progress = event({ jsonrpc: "2.0", method: "notifications/progress", params: {} });
    const text = await guardAnswer(streamed([progress, 'data: {"jsonrpc":"2.0","id"']), 3).text();
    expect(text.startsWith(progress)).toBe(true);
    const last = JSON.parse(text.trimEnd().split("\n").at(-1)!.slice("data: ".length));
    expect(last).toEqual({
      jsonrpc: "2.0",
      id: 3,
      error: { code: -32000, message: "the service closed the connection before answering" },
    });
  });

  test("turns a broken stream into one that ends with the error; an answer to another request does not count", async () => {
    const other = event({ jsonrpc: "2.0", id: 2, result: {} });
    const broken = Object.assign(new Error("socket closed"), { code: "ECONNRESET" });
    const text = await guardAnswer(streamed([other], broken), 3).text();
    expect(text).toContain('"id":3,"error"');
    expect(text).toContain("broke before it answered (ECONNRESET)");
  });

  test("leaves JSON answers alone", async () => {
    const response = streamed(["{}"], undefined, { "content-type": "application/json" });
    expect(guardAnswer(response, 3)).toBe(response);
  });
});
