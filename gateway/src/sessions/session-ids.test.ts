import { describe, expect, test } from "bun:test";
import { createSessionIds, deriveSessionSecret } from "./session-ids.ts";

describe("session ids", () => {
  const init = { protocolVersion: "2025-06-18", clientCapabilities: { sampling: {} } };

  test("carry the session to any holder of the secret, until they expire", () => {
    let now = 1_000;
    const issuer = createSessionIds({ secret: "s3cret", ttlMs: 500, now: () => now });
    const other = createSessionIds({ secret: "s3cret", ttlMs: 500, now: () => now });
    const id = issuer.issue(init);
    expect(id).toMatch(/^[\x21-\x7e]+$/);
    expect(other.open(id)).toMatchObject({
      protocolVersion: "2025-06-18",
      clientCapabilities: { sampling: {} },
      expiresAt: 1_500,
    });
    now = 1_499;
    expect(other.open(id)).toBeDefined();
    now = 1_500;
    expect(other.open(id)).toBeUndefined();
  });

  test("are refused under another secret, and each session gets its own key", () => {
    const ids = createSessionIds({ secret: deriveSessionSecret("key-a", "token"), ttlMs: 60_000 });
    const foreign = createSessionIds({ secret: deriveSessionSecret("key-b", "token"), ttlMs: 60_000 });
    const first = ids.issue(init);
    expect(foreign.open(first)).toBeUndefined();
    expect(ids.open(first)?.key).not.toBe(ids.open(ids.issue(init))?.key);
  });
});
