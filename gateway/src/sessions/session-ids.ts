/**
 * Session ids that carry their session. The gateway keeps no session table: what a session needs
 * (protocol version, client capabilities, expiry) is sealed into the id with AES-256-GCM, so any replica
 * holding the same secret can open and trust an id another replica issued, and a load balancer may send
 * each request of a session anywhere. A forged or altered id fails authentication and is refused.
 */
import { randomBytes } from "node:crypto";
import type { ClientCapabilities } from "@modelcontextprotocol/server";
import { createSecretBox } from "../security/secret-box.ts";

export interface Session {
  /** Random, unique to the session: names it in revocations and cancellation channels. */
  key: string;
  protocolVersion: string;
  clientCapabilities: ClientCapabilities;
  /** Milliseconds since the epoch after which the id is refused. */
  expiresAt: number;
}

export interface SessionIds {
  issue(init: { protocolVersion: string; clientCapabilities: ClientCapabilities }): string;
  /** The session an id carries, or undefined when the id is forged, altered, malformed or expired. */
  open(id: string): Session | undefined;
}

export interface SessionIdOptions {
  secret: string;
  ttlMs: number;
  now?: () => number;
}

interface SealedFields {
  k: string;
  v: string;
  c: ClientCapabilities;
  e: number;
}

export function createSessionIds({ secret, ttlMs, now = Date.now }: SessionIdOptions): SessionIds {
  const box = createSecretBox(secret);
  const opened = new Map<string, Session>();
  return {
    issue({ protocolVersion, clientCapabilities }) {
      const fields: SealedFields = {
        k: randomBytes(16).toString("base64url"),
        v: protocolVersion,
        c: clientCapabilities,
        e: now() + ttlMs,
      };
      return box.seal(JSON.stringify(fields));
    },
    open(id) {
      const known = opened.get(id);
      if (known) {
        if (known.expiresAt > now()) return known;
        opened.delete(id);
        return undefined;
      }
      let fields: SealedFields;
      try {
        fields = JSON.parse(box.open(id)) as SealedFields;
      } catch {
        return undefined;
      }
      if (!(fields.e > now())) return undefined;
      const session = { key: fields.k, protocolVersion: fields.v, clientCapabilities: fields.c, expiresAt: fields.e };
      if (opened.size >= OPENED_IDS_KEPT) opened.delete(opened.keys().next().value as string);
      opened.set(id, session);
      return session;
    },
  };
}

/**
 * Ids opened lately, whose decryption every request of their session would otherwise repeat (a tenth of
 * a forwarded call's JavaScript time). Only ids that authenticated get here, so the map holds no more
 * than the sessions in use; past this many the oldest entry goes.
 */
const OPENED_IDS_KEPT = 4096;

/**
 * The key replicas use when MCP_SESSION_SECRET is unset: derived from the two secrets every replica of
 * one deployment already shares, so their ids stay interchangeable without another setting. Rotating
 * either secret ends every session (clients then initialise again).
 */
export function deriveSessionSecret(apiKey: string, bearerToken: string): string {
  return `mcp-session-ids\u0000${apiKey}\u0000${bearerToken}`;
}
