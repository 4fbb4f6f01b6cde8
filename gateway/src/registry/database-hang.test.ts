/**
 * A Postgres that hangs (frozen, connections left open) must not hang the admin API: requests answer
 * 503 once DB_QUERY_TIMEOUT_MS has passed. Only a server can hang this way, so this runs on Postgres.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestVersionStore, type RunningGateway, startGateway } from "../../test/support/gateway-harness.ts";
import { startTcpProxy, type TcpProxy } from "../../test/support/tcp-proxy.ts";
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from "../../test/support/test-database.ts";
import { createDatabase, type RegistryDatabase } from "./database.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const QUERY_TIMEOUT_MS = 300;

describe.skipIf(!testDatabaseUrl())("a hung Postgres", () => {
  let scratch: TestDatabase;
  let proxy: TcpProxy;
  let proxied: RegistryDatabase;
  let gw: RunningGateway;
  let stopped = false;

  beforeAll(async () => {
    scratch = await createTestDatabase({ kind: "postgres" });
    const url = new URL(scratch.url ?? "");
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const timeouts = { statementTimeoutMs: QUERY_TIMEOUT_MS, connectTimeoutMs: QUERY_TIMEOUT_MS };
    proxied = await createDatabase({ url: url.toString(), poolMax: 2, ...timeouts });
    gw = await startGateway({
      database: proxied,
      versionStore: await createTestVersionStore(),
      settings: {
        database: {
          pgliteDir: "memory://",
          poolMax: 2,
          queryTimeoutMs: QUERY_TIMEOUT_MS,
          connectTimeoutMs: QUERY_TIMEOUT_MS,
        },
      },
    });
  });
  afterAll(async () => {
    if (!stopped) await gw.stop();
    await gw.gateway.versionStore.close();
    proxy.stop();
    await proxied.close();
    await scratch.close();
  });

  test("admin requests answer 503 instead of waiting for it", async () => {
    expect((await gw.admin("GET", "/services")).status).toBe(200);
    proxy.freeze();

    for (const [method, path, body] of [
      ["POST", "/register", { name: "anything", url: "http://127.0.0.1:9/" }],
      ["GET", "/services", undefined],
      ["DELETE", "/delete/anything", undefined],
    ] as const) {
      const response = await gw.admin(method, path, body);
      expect(response.status).toBe(503);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("service_unavailable");
      expect(error.message).toContain(`did not answer within ${QUERY_TIMEOUT_MS} ms`);
    }
  });

  test("the gateway closes without the audit events it cannot write", async () => {
    proxy.freeze();
    gw.gateway.audit.record({ kind: "admin", action: "service.register", target: "stuck" });
    // Starts the write that the frozen database never answers; close must not wait for it.
    void gw.gateway.audit.flush();
    await gw.stop();
    stopped = true;
  });
});
