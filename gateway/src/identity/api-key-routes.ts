/**
 * `/keys`: create, list and revoke API keys; creating and revoking need the admin key, listing a viewer
 * key at least. The secret is in the creation answer only; listings show what a key grants, never the key.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AdminAuth } from "../access/admin-auth.ts";
import { readBody } from "../admin/admin-routes.ts";
import type { AuditEvent } from "../audit/audit-log.ts";
import { HttpError, toIssues } from "../http-error.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../registry/database.ts";
import { apiKeyId, createApiKeyBody } from "./api-key-schemas.ts";
import { type ApiKeyRecord, generateApiKeySecret, insertApiKey, listActiveApiKeys, revokeApiKey } from "./api-keys.ts";

export interface ApiKeyRoutesDeps {
  db: Database;
  auth: AdminAuth;
  /** Scopes a key gets when its body names none: those the MCP endpoints require. */
  defaultScopes: readonly string[];
  /** Announces the change so every replica reloads its keys (bumps the registry version). */
  announce: () => Promise<void>;
  log: Logger;
  /** Where creations and revocations are recorded: what a key grants, never its secret or hash. */
  audit?: { record(event: AuditEvent): void };
}

const MAX_BODY_BYTES = 16 * 1024;

export function createApiKeyRoutes({ db, auth, defaultScopes, announce, log, audit }: ApiKeyRoutesDeps): Hono {
  const app = new Hono();
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HttpError("payload_too_large", `request body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });

  app.post("/keys", auth.write, limit, async (c) => {
    const body = await readBody(c, createApiKeyBody, true);
    const secret = generateApiKeySecret();
    const key = await insertApiKey(
      db,
      {
        name: body.name,
        scopes: body.scopes ?? [...defaultScopes],
        roles: body.roles ?? [],
        rateLimitPerMinute: body.rateLimitPerMinute,
        expiresAt: body.expiresAt === undefined ? undefined : new Date(body.expiresAt),
      },
      secret,
    );
    await announce();
    log.info("API key created", { keyId: key.id, name: key.name, scopes: key.scopes });
    audit?.record({ kind: "admin", action: "api-key.create", target: key.id, after: apiKeyView(key) });
    return c.json({ key: apiKeyView(key), secret }, 201);
  });

  app.get("/keys", auth.read(), async (c) => c.json({ keys: (await listActiveApiKeys(db)).map(apiKeyView) }));

  app.delete("/keys/:id", auth.write, async (c) => {
    const parsed = apiKeyId.safeParse(c.req.param("id"));
    if (!parsed.success) throw new HttpError("bad_request", "invalid key id in the path", toIssues(parsed.error));
    if (!(await revokeApiKey(db, parsed.data)))
      throw new HttpError("not_found", `No active API key has id ${parsed.data}`);
    await announce();
    log.info("API key revoked", { keyId: parsed.data });
    audit?.record({ kind: "admin", action: "api-key.revoke", target: parsed.data });
    return c.json({ revoked: parsed.data });
  });

  for (const [path, allow] of [
    ["/keys", "GET, POST"],
    ["/keys/:id", "DELETE"],
  ] as const) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      throw new HttpError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.routePath}; use ${allow}`);
    });
  }
  return app;
}

/** What the API shows of a key: what it grants, never its secret or hash. */
function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    roles: key.roles,
    rateLimitPerMinute: key.rateLimitPerMinute,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}
