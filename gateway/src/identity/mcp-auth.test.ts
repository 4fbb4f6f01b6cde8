/**
 * What the auth middleware hands on: the caller's Identity on the Hono context and in the request
 * context, where the MCP handlers (and whatever they await) read it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Hono } from "hono";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import { createRequestContext } from "../observability/request-context.ts";
import { createApiKeyStore, generateApiKeySecret, insertApiKey } from "./api-keys.ts";
import { IDENTITY_VARIABLE, STATIC_TOKEN_IDENTITY } from "./identity.ts";
import { createMcpAuth } from "./mcp-auth.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ kind: "pglite" });
});
afterAll(async () => {
  await database?.close();
});

test("the identity reaches the handler through the context and the request context", async () => {
  const requestContext = createRequestContext();
  const apiKeys = createApiKeyStore(database.db);
  const secret = generateApiKeySecret();
  const key = await insertApiKey(database.db, { name: "bot", scopes: ["mcp:tools"], roles: ["viewer"] }, secret);
  await apiKeys.reload();
  const auth = createMcpAuth({ staticToken: "static", apiKeys, scopes: ["mcp:tools"], requestContext });
  const app = new Hono();
  app.use(
    "/servers/:name/mcp",
    auth((c) => c.req.path),
  );
  app.post("/servers/:name/mcp", async (c) => {
    await Bun.sleep(1);
    return c.json({ fromContext: c.get(IDENTITY_VARIABLE), fromRequestContext: requestContext.identity() });
  });
  const call = (token: string) =>
    requestContext.run("req-1", () =>
      app.request("/servers/sales/mcp", { method: "POST", headers: { Authorization: `Bearer ${token}` } }),
    );

  const asStatic = await (await call("static")).json();
  expect(asStatic).toEqual({ fromContext: STATIC_TOKEN_IDENTITY, fromRequestContext: STATIC_TOKEN_IDENTITY });
  const asKey = (await (await call(secret)).json()) as { fromContext: unknown; fromRequestContext: unknown };
  expect(asKey.fromRequestContext).toEqual(asKey.fromContext);
  expect(asKey.fromContext).toMatchObject({ kind: "api-key", subject: key.id, name: "bot", roles: ["viewer"] });

  const refused = await call("wrong");
  expect(refused.status).toBe(401);
  expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
  expect(requestContext.identity()).toBeUndefined();
});
