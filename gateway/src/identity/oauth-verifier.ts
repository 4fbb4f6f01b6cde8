/**
 * Checks OAuth access tokens as a resource server (MCP authorization, RFC 9068 JWT access tokens):
 * the issuer's keys are found through its authorization server metadata and cached by jose, which
 * fetches the key set again when a token names a key it has not seen (key rotation). A token that
 * passed is remembered until it expires, so a client's every request does not verify a signature.
 */
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { OAuthSettings } from "../config.ts";
import type { Identity } from "./identity.ts";

/** A token that is not acceptable here: the client should get a new one (401 invalid_token). */
export class TokenRefused extends Error {}

/** The issuer's metadata or keys cannot be fetched: nothing the client can fix (503). */
export class IssuerUnavailable extends Error {}

export interface OAuthVerifier {
  /**
   * The identity a valid access token carries, when its `aud` names one of `audiences`.
   * @throws TokenRefused, IssuerUnavailable
   */
  verify(token: string, audiences: readonly string[]): Promise<Identity>;
}

export interface OAuthVerifierOptions extends Pick<OAuthSettings, "issuer" | "rolesClaim" | "jwksCooldownMs"> {
  /** Most tokens remembered at once; the oldest is forgotten first. */
  cacheSize?: number;
  fetch?: typeof fetch;
}

/** Tolerance for clocks that disagree a little between the issuer and this gateway. */
const CLOCK_SKEW_SECONDS = 30;
const DEFAULT_CACHE_SIZE = 10_000;
const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
/** Used when the issuer does not announce its signing algorithms; all asymmetric, so no shared secret works. */
const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
];

interface Keys {
  getKey: JWTVerifyGetKey;
  algorithms: string[];
}

export function createOAuthVerifier(options: OAuthVerifierOptions): OAuthVerifier {
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const fetchFn = options.fetch ?? fetch;
  const verified = new Map<string, { identity: Identity; expiresAt: number }>();
  let keys: Promise<Keys> | undefined;

  const loadKeys = (): Promise<Keys> => {
    keys ??= discoverKeys(options.issuer, fetchFn, options.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS).catch(
      (error: unknown) => {
        // Try again on the next request rather than remembering an outage.
        keys = undefined;
        throw error;
      },
    );
    return keys;
  };

  const remember = (key: string, identity: Identity, exp: number) => {
    if (verified.size >= cacheSize) {
      const oldest = verified.keys().next();
      if (!oldest.done) verified.delete(oldest.value);
    }
    verified.set(key, { identity, expiresAt: exp * 1000 });
  };

  return {
    async verify(token, audiences) {
      const cacheKey = `${audiences.join(" ")}\n${token}`;
      const hit = verified.get(cacheKey);
      if (hit) {
        if (hit.expiresAt > Date.now()) return hit.identity;
        verified.delete(cacheKey);
      }
      const { getKey, algorithms } = await loadKeys();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: [...audiences],
          algorithms,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ["exp"],
        }));
      } catch (error) {
        throw refusal(error);
      }
      const identity = identityOf(payload, options.rolesClaim);
      remember(cacheKey, identity, payload.exp ?? 0);
      return identity;
    },
  };
}

function refusal(error: unknown): Error {
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return new IssuerUnavailable(`the issuer's keys cannot be fetched: ${messageOf(error)}`);
  }
  if (error instanceof errors.JWTExpired) return new TokenRefused("the access token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenRefused(`the access token's "${error.claim}" claim is not acceptable here`);
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return new TokenRefused("the access token is signed by an unknown key");
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRefused("the access token's algorithm is not allowed");
  return new TokenRefused("the access token is invalid");
}

/** Finds the issuer's key set and signing algorithms through its metadata (RFC 8414, then OpenID discovery). */
async function discoverKeys(issuer: string, fetchFn: typeof fetch, cooldownMs: number): Promise<Keys> {
  const metadata = await fetchMetadata(issuer, fetchFn);
  if (typeof metadata.jwks_uri !== "string") throw new IssuerUnavailable(`${issuer} announces no jwks_uri`);
  const announced = metadata.id_token_signing_alg_values_supported;
  const algorithms = (Array.isArray(announced) ? announced.map(String) : ASYMMETRIC_ALGORITHMS).filter((alg) =>
    ASYMMETRIC_ALGORITHMS.includes(alg),
  );
  const getKey = createRemoteJWKSet(new URL(metadata.jwks_uri), {
    cooldownDuration: cooldownMs,
    [customFetch]: fetchFn,
  });
  return { getKey, algorithms: algorithms.length > 0 ? algorithms : ASYMMETRIC_ALGORITHMS };
}

async function fetchMetadata(issuer: string, fetchFn: typeof fetch): Promise<Record<string, unknown>> {
  const problems: string[] = [];
  for (const url of metadataUrls(issuer)) {
    try {
      const response = await fetchFn(url, { headers: { Accept: "application/json" } });
      if (!response.ok) {
        problems.push(`${url}: ${response.status}`);
        continue;
      }
      const metadata = (await response.json()) as Record<string, unknown>;
      // RFC 8414 section 3.3: metadata naming another issuer must not be used.
      if (metadata.issuer !== issuer) throw new Error(`names issuer ${String(metadata.issuer)}`);
      return metadata;
    } catch (error) {
      problems.push(`${url}: ${messageOf(error)}`);
    }
  }
  throw new IssuerUnavailable(`no authorization server metadata for ${issuer} (${problems.join("; ")})`);
}

/** Where the metadata of `issuer` may be, in the order the MCP authorization spec asks clients to try. */
function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, "");
  const at = (wellKnown: string) => `${url.origin}/.well-known/${wellKnown}${path}`;
  const urls = [at("oauth-authorization-server"), at("openid-configuration")];
  if (path !== "") urls.push(`${url.origin}${path}/.well-known/openid-configuration`);
  return urls;
}

function identityOf(payload: JWTPayload, rolesClaim: string): Identity {
  const clientId = stringClaim(payload.client_id) ?? stringClaim(payload.azp);
  const subject = payload.sub ?? clientId;
  if (subject === undefined) throw new TokenRefused("the access token names no subject");
  return {
    kind: "oauth",
    subject,
    ...(clientId === undefined ? {} : { name: clientId }),
    scopes: listClaim(payload.scope ?? payload.scp),
    roles: listClaim(claimAt(payload, rolesClaim)),
  };
}

/** A claim by name, or by a dotted path into nested objects (e.g. Keycloak's `realm_access.roles`). */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A space-separated string (`scope`) or an array of strings (`scp`, `roles`, `groups`). */
function listClaim(value: unknown): string[] {
  if (typeof value === "string") return value.split(" ").filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
