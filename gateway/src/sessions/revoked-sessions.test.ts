import { describe, expect, test } from "bun:test";
import { silentLogger } from "../logger.ts";
import { createRevokedSessions } from "./revoked-sessions.ts";
import { createSessionBus } from "./session-bus.ts";
import type { Session } from "./session-ids.ts";

const TTL_MS = 1000;

function session(key: string, expiresAt: number): Session {
  return { key, protocolVersion: "2025-06-18", clientCapabilities: {}, expiresAt };
}

describe("revoked sessions", () => {
  test("remember a revocation until the session would have expired, and no longer", async () => {
    let time = 0;
    const revoked = createRevokedSessions({
      bus: await createSessionBus({ keyPrefix: "test:" }),
      log: silentLogger,
      now: () => time,
    });
    // Sessions issued at 0, 100, 200 ... and revoked as they come.
    const sessions = Array.from({ length: 10 }, (_, i) => session(`s${i}`, i * 100 + TTL_MS));
    for (const s of sessions) {
      time = s.expiresAt - TTL_MS;
      await revoked.revoke(s);
    }
    expect(sessions.every((s) => revoked.has(s))).toBe(true);
    expect(revoked.size).toBe(10);

    // Half of them have expired by now: the next revocation drops them.
    time = 500 + TTL_MS;
    await revoked.revoke(session("late", time + TTL_MS));
    expect(revoked.size).toBe(5);
    expect(sessions.slice(6).every((s) => revoked.has(s))).toBe(true);
    expect(revoked.has(sessions[0] ?? session("", 0))).toBe(false);
  });

  test("a revocation of an id that has expired already takes no room", async () => {
    const revoked = createRevokedSessions({
      bus: await createSessionBus({ keyPrefix: "test:" }),
      log: silentLogger,
      now: () => 5000,
    });
    await revoked.revoke(session("old", 4000));
    expect(revoked.size).toBe(0);
  });

  test("a revocation the bus cannot announce still counts here", async () => {
    const bus = await createSessionBus({ keyPrefix: "test:" });
    bus.publish = () => Promise.reject(new Error("bus down"));
    const revoked = createRevokedSessions({ bus, log: silentLogger });
    const s = session("k", Date.now() + TTL_MS);
    await revoked.revoke(s);
    expect(revoked.has(s)).toBe(true);
  });
});
