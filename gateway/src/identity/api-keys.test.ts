/**
 * API keys end to end: the admin routes, keys on /mcp through the SDK client, revocation across
 * replicas, and no database read for checking a key.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type BackendProcess, startBackend } from "../../test/support/backend-process.ts";
import {
  connectClient,
  createTestVersionStore,
  startGateway,
  startTestStack,
  type TestStack,
} from "../../test/support/gateway-harness.ts";
import { withoutAuditWrites } from "../../test/support/hot-path-queries.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { startReplicaPair } from "../../test/support/replica-pair.ts";
import { createTestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import { createLogger } from "../logger.ts";
import { createApiKeyStore, generateApiKeySecret, insertApiKey } from "./api-keys.ts";

let stack: TestStack;
const logLines: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    register: ["shopping"],
    log: createLogger({ level: "debug", json: true, write: (line) => logLines.push(line) }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

interface CreatedKey {
  key: { id: string; name: string; scopes: string[]; rateLimitPerMinute: number | null };
  secret: string;
}

async function createKey(body: Record<string, unknown>): Promise<CreatedKey> {
  const response = await stack.gw.admin("POST", "/keys", body);
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedKey;
}

function mcpStatus(url: string, token: string): Promise<number> {
  return postMcp(`${url}/mcp`, token).then((r) => r.status);
}

describe("the /keys admin routes", () => {
  test("create shows the secret once; the list shows what each key grants, never the secret", async () => {
    const created = await createKey({ name: "nightly-report", rateLimitPerMinute: 120 });
    expect(created.secret).toMatch(/^mcpk_[\w-]{43}$/);
    expect(created.key).toMatchObject({ name: "nightly-report", scopes: ["mcp:tools"], rateLimitPerMinute: 120 });

    const listing = await (await stack.gw.admin("GET", "/keys")).text();
    const { keys } = JSON.parse(listing) as { keys: { id: string }[] };
    expect(keys.map((k) => k.id)).toContain(created.key.id);
    expect(listing).not.toContain(created.secret);
    expect(listing).not.toContain(new Bun.CryptoHasher("sha256").update(created.secret).digest("hex"));
  });

  test("need the admin API key", async () => {
    expect((await fetch(`${stack.gw.url}/keys`)).status).toBe(401);
    const withBearer = await fetch(`${stack.gw.url}/keys`, { headers: { Authorization: "Bearer mcp-token-123" } });
    expect(withBearer.status).toBe(401);
  });

  test("refuse invalid bodies with the issues, and unknown or malformed ids", async () => {
    const bad = await stack.gw.admin("POST", "/keys", { name: "", rateLimitPerMinute: 0, extra: true });
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(error.code).toBe("bad_request");
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["name", "rateLimitPerMinute"]));
    const past = await stack.gw.admin("POST", "/keys", { name: "old", expiresAt: "2020-01-01T00:00:00Z" });
    expect(past.status).toBe(400);
    expect((await stack.gw.admin("DELETE", `/keys/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await stack.gw.admin("DELETE", "/keys/not-a-uuid")).status).toBe(400);
  });
});

describe("a key on /mcp", () => {
  test("lists and calls tools through the SDK client, until it is revoked", async () => {
    // Besides the endpoint's scope, a grant: a key with none may use no tool (see access-policy.ts).
    const { key, secret } = await createKey({ name: "agent", scopes: ["mcp:tools", "mcp:services:shopping-service"] });
    const client = await connectClient(`${stack.gw.url}/mcp`, secret);
    try {
      const result = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const revoked = await stack.gw.admin("DELETE", `/keys/${key.id}`);
    expect(await revoked.json()).toEqual({ revoked: key.id });
    expect(await mcpStatus(stack.gw.url, secret)).toBe(401);
    expect((await stack.gw.admin("DELETE", `/keys/${key.id}`)).status).toBe(404);
  });

  test("a key without the endpoint's scope gets 403, an unknown key 401", async () => {
    const { secret } = await createKey({ name: "read-only", scopes: ["reports:read"] });
    expect(await mcpStatus(stack.gw.url, secret)).toBe(403);
    expect(await mcpStatus(stack.gw.url, generateApiKeySecret())).toBe(401);
  });

  test("an expired key is refused", async () => {
    const secret = generateApiKeySecret();
    await insertApiKey(
      stack.database.db,
      { name: "expired", scopes: ["mcp:tools"], roles: [], expiresAt: new Date(Date.now() - 1000) },
      secret,
    );
    await stack.gw.gateway.sync.announce();
    expect(await mcpStatus(stack.gw.url, secret)).toBe(401);
  });

  test("no key reaches a log line", async () => {
    const { secret } = await createKey({ name: "logged" });
    expect(await mcpStatus(stack.gw.url, secret)).toBe(200);
    expect(await mcpStatus(stack.gw.url, `${secret}x`)).toBe(401);
    expect(logLines.some((line) => line.includes("API key created"))).toBe(true);
    expect(logLines.filter((line) => line.includes(secret.slice(5)))).toEqual([]);
  });
});

describe.each(testDatabaseKinds())("the key store on %s", (kind) => {
  test("carries a key's name, scopes, roles and rate limit on its Identity", async () => {
    const database = await createTestDatabase({ kind });
    try {
      const secret = generateApiKeySecret();
      const key = await insertApiKey(
        database.db,
        { name: "bot", scopes: ["mcp:tools"], roles: ["viewer"], rateLimitPerMinute: 60 },
        secret,
      );
      const store = createApiKeyStore(database.db);
      expect(store.check(secret)).toEqual({ refused: "unknown or revoked API key" });
      await store.reload();
      expect(store.check(secret)).toEqual({
        identity: {
          kind: "api-key",
          subject: key.id,
          name: "bot",
          scopes: ["mcp:tools"],
          roles: ["viewer"],
          rateLimitPerMinute: 60,
        },
      });
    } finally {
      await database.close();
    }
  });
});

test("checking a key on /mcp reads no database", async () => {
  const queries: string[] = [];
  const database = await createTestDatabase({ onQuery: (sql) => queries.push(sql) });
  const versions = await createTestVersionStore();
  const shopping: BackendProcess = await startBackend("shopping");
  const gw = await startGateway({ database, versionStore: versions });
  try {
    expect((await gw.admin("POST", "/register", { name: "shopping-service", url: shopping.url })).status).toBe(201);
    const { secret } = (await (
      await gw.admin("POST", "/keys", { name: "hot", scopes: ["mcp:tools", "mcp:admin"] })
    ).json()) as CreatedKey;
    const client = await connectClient(`${gw.url}/mcp`, secret);
    await client.listTools();
    const before = queries.length;
    for (let i = 0; i < 20; i++) {
      const result = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBeFalsy();
    }
    expect(await mcpStatus(gw.url, generateApiKeySecret())).toBe(401);
    expect(withoutAuditWrites(queries.slice(before))).toEqual([]);
    await client.close();
  } finally {
    await gw.stop();
    await shopping.stop();
    await versions.close();
    await database.close();
  }
});

test("a key revoked through one replica is refused by the other", async () => {
  const pair = await startReplicaPair();
  try {
    const created = (await (await pair.a.admin("POST", "/keys", { name: "shared" })).json()) as CreatedKey;
    await eventuallyStatus(pair.b.url, created.secret, 200);
    expect((await pair.a.admin("DELETE", `/keys/${created.key.id}`)).status).toBe(200);
    await eventuallyStatus(pair.b.url, created.secret, 401);
  } finally {
    await pair.stop();
  }
});

async function eventuallyStatus(url: string, secret: string, status: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if ((await mcpStatus(url, secret)) === status) return;
    await Bun.sleep(25);
  }
  throw new Error(`${url}/mcp never answered ${status}`);
}
