/**
 * API keys for machine clients: created, listed and revoked through the admin API, presented on the
 * MCP endpoints as `Authorization: Bearer mcpk_...`. Each replica keeps the hashes of the active keys
 * in memory and reloads them with the catalog whenever the registry version moves, so checking a key
 * never reads the database and a revocation reaches every replica as fast as a registration does.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../registry/database.ts";
import { apiKeys } from "./api-key-schema.ts";
import type { Identity } from "./identity.ts";

/** Marks a bearer credential as an API key rather than a JWT or the static token. */
export const API_KEY_PREFIX = "mcpk_";

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: string[];
  roles: string[];
  rateLimitPerMinute: number | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface NewApiKey {
  name: string;
  scopes: string[];
  roles: string[];
  rateLimitPerMinute?: number;
  expiresAt?: Date;
}

/** A fresh key: 32 random bytes (256 bits), so a fast unsalted hash is enough to store it. */
export function generateApiKeySecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

export async function insertApiKey(db: Database, key: NewApiKey, secret: string): Promise<ApiKeyRecord> {
  const [row] = await db
    .insert(apiKeys)
    .values({
      name: key.name,
      secretHash: hashSecret(secret).toString("hex"),
      scopes: key.scopes,
      roles: key.roles,
      rateLimitPerMinute: key.rateLimitPerMinute ?? null,
      expiresAt: key.expiresAt ?? null,
    })
    .returning();
  if (!row) throw new Error("insert into api_keys returned no row");
  return toRecord(row);
}

/** The keys not revoked, expired ones included (they are refused, but still listed until revoked). */
export async function listActiveApiKeys(db: Database): Promise<ApiKeyRecord[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(isNull(apiKeys.revokedAt))
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  return rows.map(toRecord);
}

async function listActiveKeyHashes(db: Database): Promise<(ApiKeyRecord & { secretHash: string })[]> {
  const rows = await db.select().from(apiKeys).where(isNull(apiKeys.revokedAt));
  return rows.map((row) => ({ ...toRecord(row), secretHash: row.secretHash }));
}

/** @returns false when no active key has this id. */
export async function revokeApiKey(db: Database, id: string): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

function toRecord(row: typeof apiKeys.$inferSelect): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    roles: row.roles,
    rateLimitPerMinute: row.rateLimitPerMinute,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
  };
}

export type ApiKeyCheck = { identity: Identity } | { refused: string };

export interface ApiKeyStore {
  /** Reads the active keys again; called with every catalog reload. */
  reload(): Promise<void>;
  /** Checks a presented key against the keys in memory; never reads the database. */
  check(secret: string): ApiKeyCheck;
}

interface LoadedKey {
  hash: Buffer;
  identity: Identity;
  expiresAt: number | undefined;
}

export function createApiKeyStore(db: Database): ApiKeyStore {
  let byHash = new Map<string, LoadedKey>();
  return {
    async reload() {
      const rows = await listActiveKeyHashes(db);
      byHash = new Map(rows.map((row) => [row.secretHash, loaded(row)]));
    },
    check(secret) {
      const hash = hashSecret(secret);
      const key = byHash.get(hash.toString("hex"));
      // The map lookup finds the candidate; the comparison that decides runs in constant time.
      if (!key || !timingSafeEqual(key.hash, hash)) return { refused: "unknown or revoked API key" };
      if (key.expiresAt !== undefined && key.expiresAt <= Date.now()) return { refused: "the API key has expired" };
      return { identity: key.identity };
    },
  };
}

function loaded(row: ApiKeyRecord & { secretHash: string }): LoadedKey {
  return {
    hash: Buffer.from(row.secretHash, "hex"),
    expiresAt: row.expiresAt?.getTime(),
    identity: {
      kind: "api-key",
      subject: row.id,
      name: row.name,
      scopes: row.scopes,
      roles: row.roles,
      ...(row.rateLimitPerMinute === null ? {} : { rateLimitPerMinute: row.rateLimitPerMinute }),
    },
  };
}
