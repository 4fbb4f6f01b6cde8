import { describe, expect, test } from "bun:test";

const PROBE = new URL("../test/support/loaded-packages.ts", import.meta.url).pathname;
/** The clients of stores and tracing that the embedded defaults do not use. */
const OPTIONAL = ["ioredis", "@upstash/redis", "postgres", "@opentelemetry/sdk-trace"];

async function loadedWith(env: Record<string, string>): Promise<string[]> {
  const probe = Bun.spawn([process.execPath, PROBE, ...OPTIONAL], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(probe.stdout).text();
  expect(await probe.exited).toBe(0);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "null");
}

describe("modules a gateway loads", () => {
  // Each costs memory for nothing where it is not used (the README's memory row).
  test("on the embedded defaults: no Redis client, no postgres.js, no OpenTelemetry SDK", async () => {
    expect(await loadedWith({})).toEqual([]);
  }, 30_000);

  const { DATABASE_URL, REDIS_URL } = process.env;
  test.skipIf(!DATABASE_URL || !REDIS_URL)(
    "with Postgres, Redis and tracing configured: the clients they need",
    async () => {
      const loaded = await loadedWith({
        DATABASE_URL: DATABASE_URL ?? "",
        REDIS_URL: REDIS_URL ?? "",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      });
      expect(loaded).toEqual(["ioredis", "postgres", "@opentelemetry/sdk-trace"]);
    },
    30_000,
  );
});
