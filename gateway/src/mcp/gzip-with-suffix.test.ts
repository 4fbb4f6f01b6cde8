import { describe, expect, test } from "bun:test";
import { gunzipSync } from "node:zlib";
import { createGzipWithSuffix } from "./gzip-with-suffix.ts";

const encoder = new TextEncoder();

function joined(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe("createGzipWithSuffix", () => {
  const prefix = encoder.encode(
    `{"result":{"tools":${JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ name: `tool${i}` })))}},"id":`,
  );
  const gzip = createGzipWithSuffix(prefix);

  test.each([
    ["a number id", "7}"],
    ["a string id", '"request-é-1"}'],
    ["nothing", ""],
  ])("decodes to the prefix followed by %s", (_, end) => {
    const suffix = encoder.encode(end);
    const body = joined(gzip(suffix) ?? []);
    expect(new Uint8Array(gunzipSync(body))).toEqual(joined([prefix, suffix]));
    expect(new Uint8Array(Bun.gunzipSync(body))).toEqual(joined([prefix, suffix]));
  });

  test("compresses the shared prefix", () => {
    const body = joined(gzip(encoder.encode("1}")) ?? []);
    expect(body.length).toBeLessThan(prefix.length / 4);
  });

  test("declines an end longer than one stored block", () => {
    expect(gzip(new Uint8Array(0x10000))).toBeUndefined();
    expect(gzip(new Uint8Array(0xffff))).toBeDefined();
  });
});
