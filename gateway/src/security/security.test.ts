import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { sql } from "drizzle-orm";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import { captureLog } from "../../test/support/captured-log.ts";
import { startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  connectClient,
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";
import { parseConfig } from "../config.ts";
import { createSecretBox } from "./secret-box.ts";
import { createUrlPolicy } from "./url-policy.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

describe("url policy", () => {
  const open = createUrlPolicy([], async (host) => (host === "sneaky.test" ? ["169.254.169.254"] : ["10.1.2.3"]));

  test.each([
    "http://169.254.169.254/latest/meta-data",
    "http://169.254.10.1:8080",
    "http://[fe80::1]:3000",
    "http://[fd00:ec2::254]",
    "http://[::ffff:169.254.169.254]",
    "http://metadata.google.internal/computeMetadata/v1",
    "http://100.100.100.200",
    "http://sneaky.test",
    // Other spellings of a metadata host or address
    "http://metadata.google.internal./",
    "http://METADATA.GOOGLE.INTERNAL../",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://0xa9fea9fe/",
    "http://169.254.43518/",
    // IPv6 addresses that carry 169.254.169.254
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::ffff:0:a9fe:a9fe]/",
    "http://[::169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[2001:0:a9fe:a9fe::1]/",
    "http://[2001:0:4136:e378:8000:63bf:5601:5601]/",
  ])("always refuses %s", async (url) => {
    expect(await open.check(url)).toBeString();
  });

  test.each([
    "http://[::1]:3000",
    "http://[2001:db8::1]/",
    "http://[64:ff9b::a01:203]/",
    "http://[2002:a01:203::]/",
    "http://127.0.0.1:3002",
  ])("still allows %s, which carries no blocked address", async (url) => {
    expect(await open.check(url)).toBeUndefined();
  });

  test("allows ordinary hosts when there is no allowlist", async () => {
    expect(await open.check("http://shopping-service:3002")).toBeUndefined();
    expect(await open.check("http://127.0.0.1:3002")).toBeUndefined();
  });

  test("an allowlist of names and CIDRs narrows it", async () => {
    const narrow = createUrlPolicy(["shopping-service", "*.svc.cluster.local", "192.168.0.0/16"], async () => [
      "10.9.9.9",
    ]);
    expect(await narrow.check("http://shopping-service:3002")).toBeUndefined();
    expect(await narrow.check("http://user.default.svc.cluster.local")).toBeUndefined();
    expect(await narrow.check("http://192.168.4.20:3000")).toBeUndefined();
    expect(await narrow.check("http://other-service:3000")).toContain("BACKEND_ALLOWLIST");
    expect(await narrow.check("http://10.0.0.1:3000")).toContain("BACKEND_ALLOWLIST");
  });
});

describe("secret box", () => {
  test("round-trips, uses a fresh nonce, and rejects tampering or another key", () => {
    const box = createSecretBox("a".repeat(64));
    const sealed = box.seal("Bearer s3cret");
    expect(sealed).not.toContain("s3cret");
    expect(box.seal("Bearer s3cret")).not.toBe(sealed);
    expect(box.open(sealed)).toBe("Bearer s3cret");
    const parts = sealed.split(".");
    const tampered = [...parts.slice(0, 3), Buffer.from("Bearer s3creT").toString("base64url")].join(".");
    expect(() => box.open(tampered)).toThrow();
    expect(() => createSecretBox("another key entirely").open(sealed)).toThrow();
  });
});

describe("through the gateway", () => {
  const SECRETS_KEY = "test-secrets-key-with-enough-entropy-0123456789";
  let database: TestDatabase;
  let versions: VersionStore;
  let privateUser: BackendProcess;
  let gw: RunningGateway;

  beforeAll(async () => {
    [database, privateUser] = await Promise.all([
      createTestDatabase(),
      startBackend("user", { MCP_BEARER_TOKEN: "user-own-token" }),
    ]);
    versions = await createTestVersionStore();
    gw = await startGateway({
      database,
      versionStore: versions,
      settings: { secretsKey: SECRETS_KEY, allowedHosts: ["gateway.example.com"] },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await privateUser?.stop();
    await versions?.close();
    await database?.close();
  });

  test("a backend with its own credentials needs them, and they are stored encrypted and never shown", async () => {
    const without = await gw.admin("POST", "/register", { name: "private-user", url: privateUser.url });
    expect(without.status).toBe(502);

    const res = await gw.admin("POST", "/register", {
      name: "private-user",
      url: privateUser.url,
      headers: { Authorization: "Bearer user-own-token" },
    });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain("user-own-token");

    const result = await (await gw.client()).callTool({ name: "getUserById", arguments: { id: "456" } });
    expect(result.isError).toBeFalsy();

    const listing = await (await gw.admin("GET", "/services")).text();
    expect(listing).not.toContain("user-own-token");
    const rows = await database.db.execute(sql`select secret_headers from services where name = 'private-user'`);
    const stored = JSON.stringify(rows);
    expect(stored).toContain("v1.");
    expect(stored).not.toContain("user-own-token");

    // An update without headers keeps the stored ones.
    expect((await gw.admin("PUT", "/update/private-user")).status).toBe(200);
  });

  test("a backend's own credentials never reach the log, even at debug", async () => {
    const { log, lines } = captureLog();
    const logged = await startGateway({
      database,
      versionStore: await createTestVersionStore(),
      settings: { secretsKey: SECRETS_KEY },
      log,
    });
    try {
      const body = { name: "logged-user", url: privateUser.url, headers: { Authorization: "Bearer user-own-token" } };
      expect((await logged.admin("POST", "/register", body)).status).toBe(201);
      expect((await logged.admin("PUT", "/update/logged-user", { headers: body.headers })).status).toBe(200);
      const result = await (await logged.client()).callTool({ name: "getUserById", arguments: { id: "456" } });
      expect(result.isError).toBeFalsy();
    } finally {
      await logged.stop();
    }
    expect(lines.some((line) => line.includes("service registered"))).toBe(true);
    expect(lines.join("\n")).not.toContain("user-own-token");
  });

  test("registering headers without SECRETS_KEY is refused rather than stored in clear", async () => {
    const plain = await startGateway({ database, versionStore: await createTestVersionStore() });
    try {
      const res = await plain.admin("POST", "/register", {
        name: "needs-key",
        url: privateUser.url,
        headers: { Authorization: "Bearer x" },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("SECRETS_KEY");
    } finally {
      await plain.stop();
    }
  });

  test("registration refuses metadata addresses", async () => {
    const res = await gw.admin("POST", "/register", { name: "metadata", url: "http://169.254.169.254" });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("169.254.169.254");
  });

  test("/mcp refuses foreign Host and Origin headers, allows local and configured ones", async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${gw.url}/mcp`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_BEARER}`, ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
    expect((await call({ Host: "evil.example" })).status).toBe(403);
    expect((await call({ Origin: "http://evil.example" })).status).toBe(403);
    expect((await call({ Origin: "null" })).status).toBe(403);
    expect((await call({ Origin: "http://localhost:5173" })).status).toBe(200);
    expect((await call({ Host: "gateway.example.com" })).status).toBe(200);
    const refused = await call({ Host: "evil.example" });
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("ALLOWED_HOSTS");
  });

  test("backends get the backend token, never the token clients present to the gateway", async () => {
    const clientToken = "client-only-token-0123456789";
    const seen: (string | null)[] = [];
    const fixture = startFixtureBackend(
      () => {
        const server = new McpServer({ name: "recorder", version: "1.0.0" });
        server.registerTool("recordedEcho", { description: "Answers ok." }, async () => ({
          content: [{ type: "text", text: "ok" }],
        }));
        return server;
      },
      {
        intercept: (request) => {
          seen.push(request.headers.get("authorization"));
          return undefined;
        },
      },
    );
    const { backendBearerToken } = parseConfig({ MCP_BEARER_TOKEN: clientToken });
    const separate = await startGateway({
      database,
      versionStore: await createTestVersionStore(),
      settings: { bearerToken: clientToken, backendBearerToken },
    });
    try {
      const registered = await separate.admin("POST", "/register", { name: "recorder", url: fixture.url });
      expect(registered.status).toBe(201);
      const client = await connectClient(`${separate.url}/mcp`, clientToken);
      expect((await client.callTool({ name: "recordedEcho", arguments: {} })).isError).toBeFalsy();
      await client.close();
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((header) => header?.includes(clientToken))).toEqual([]);
      expect(new Set(seen)).toEqual(new Set([`Bearer ${TEST_BEARER}`]));
    } finally {
      await separate.stop();
      await fixture.stop();
    }
  });

  test("a dead backend's failure message names the service but no credentials", async () => {
    await privateUser.stop();
    try {
      const result = await (await gw.client()).callTool({ name: "getUserById", arguments: { id: "456" } });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain("private-user");
      expect(firstText(result)).not.toContain("user-own-token");
    } finally {
      await privateUser.start();
    }
  });
});

describe("BACKEND_ALLOWLIST through a running gateway", () => {
  let database: TestDatabase;
  let versions: VersionStore;
  let shopping: BackendProcess;
  let gw: RunningGateway;
  /** What `localhost` resolves to for the gateway's URL policy; a test changes it to rebind the name. */
  let localhostAddresses = ["127.0.0.1"];

  beforeAll(async () => {
    [database, shopping] = await Promise.all([createTestDatabase(), startBackend("shopping")]);
    versions = await createTestVersionStore();
    gw = await startGateway({
      database,
      versionStore: versions,
      settings: { backendAllowlist: ["127.0.0.0/8"] },
      resolveHost: async (host) => (host === "localhost" ? localhostAddresses : ["203.0.113.7"]),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await shopping?.stop();
    await versions?.close();
    await database?.close();
  });

  test("registration outside the allowlist is refused with 403, inside it succeeds", async () => {
    const outside = await gw.admin("POST", "/register", { name: "outside", url: "http://10.9.9.9:3002" });
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { error: { message: string } }).error.message).toContain("BACKEND_ALLOWLIST");
    const byName = await gw.admin("POST", "/register", { name: "elsewhere", url: "http://backend.example:3002" });
    expect(byName.status).toBe(403);

    const inside = await gw.admin("POST", "/register", {
      name: "shopping-service",
      url: `http://localhost:${shopping.port}`,
    });
    expect(inside.status).toBe(201);
  });

  test("a name that resolves outside the allowlist at connect time is not connected to (DNS rebinding)", async () => {
    localhostAddresses = ["203.0.113.7"];
    try {
      const result = await (await gw.client()).callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBe(true);
      expect(firstText(result)).toContain("BACKEND_ALLOWLIST");
    } finally {
      localhostAddresses = ["127.0.0.1"];
    }
    const again = await (await gw.client()).callTool({ name: "getProductById", arguments: { id: "123" } });
    expect(again.isError).toBeFalsy();
  });
});
