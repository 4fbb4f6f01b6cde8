/**
 * A gateway registered as its own backend, as another replica, or reached again through a proxy: the
 * registration is refused, and a request that comes back is refused at once rather than nesting.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

/** An HTTP proxy whose target a test can change, as a load balancer in front of services would. */
function startSwitchableProxy(target: string) {
  const state = { target, requests: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request) {
      state.requests++;
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.delete("host");
      return fetch(`${state.target}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.body,
      });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, state, stop: () => server.stop(true) };
}

describe("gateway loops", () => {
  let pair: ReplicaPair;
  let backend: FixtureBackend;

  beforeAll(async () => {
    pair = await startReplicaPair();
    backend = startFixtureBackend(() => {
      const server = new McpServer({ name: "echo", version: "1.0.0" });
      server.registerTool("echo", { description: "Answers" }, () => ({ content: [{ type: "text", text: "echo" }] }));
      return server;
    });
  });
  afterAll(async () => {
    await backend.stop();
    await pair.stop();
  });

  test("registering the gateway itself, or another replica, is refused", async () => {
    for (const url of [pair.a.url, pair.b.url]) {
      const response = await pair.a.admin("POST", "/register", { name: "myself", url });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain("is this gateway (or another replica of it)");
    }
    expect(await pair.a.gateway.registry.list()).toEqual([]);
  });

  test("a call that comes back through a proxy is refused at the first return", async () => {
    const proxy = startSwitchableProxy(backend.url);
    try {
      expect((await pair.a.admin("POST", "/register", { name: "proxied", url: proxy.url })).status).toBe(201);
      const client = await pair.a.client();
      expect((await client.callTool({ name: "echo" })).isError).toBeFalsy();

      proxy.state.target = pair.b.url;
      proxy.state.requests = 0;
      const result = await client.callTool({ name: "echo" }).catch((error: Error) => ({ thrown: error.message }));
      expect(JSON.stringify(result)).toMatch(/loop|508/i);
      // The call, and at most a new session's handshake: not a chain of nested calls.
      expect(proxy.state.requests).toBeLessThanOrEqual(3);
    } finally {
      await proxy.stop();
    }
  });
});
