/**
 * The registry version held in this process: for a single replica, and for tests that run several
 * gateways in one process by handing them the same store.
 */
import type { VersionStore } from "./version-store.ts";

export function createMemoryVersionStore(): VersionStore {
  let version = 0;
  const listeners = new Set<(version: number) => void>();
  /** When each held claim expires; expired ones are swept on the next claim, so the map holds only live ones. */
  const claims = new Map<string, number>();

  return {
    kind: "memory",
    current: async () => version,
    async bump() {
      version = Math.max(Date.now(), version + 1);
      const announced = version;
      // Delivered asynchronously, as a Redis message would be, so a throwing listener cannot fail the bump.
      for (const listener of listeners) queueMicrotask(() => listener(announced));
      return announced;
    },
    async claim(key, ttlMs) {
      const now = performance.now();
      for (const [held, expiresAt] of claims) if (expiresAt <= now) claims.delete(held);
      if (claims.has(key)) return false;
      claims.set(key, now + ttlMs);
      return true;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      listeners.clear();
      claims.clear();
    },
  };
}
