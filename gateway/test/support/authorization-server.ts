/**
 * A real OAuth 2.1 authorization server for tests: `oidc-provider` on a free port, issuing JWT access
 * tokens (RFC 9068) for the resource a client names (RFC 8707). It grants client credentials to the
 * machine client, and authorization codes with PKCE to a public client, logging in a fixed user and
 * consenting on their behalf when the browser step is driven by `authorize`. Its signing key can be
 * rotated, and tokens with chosen claims can be signed with its key for the cases a correct server
 * never produces (expired, wrong issuer, `alg: none`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import Provider from "oidc-provider";

const MACHINE_CLIENT = { id: "machine", secret: "machine-secret-for-tests" };
/** The public client the SDK's OAuth flow uses; its redirect URI is never served, only read. */
export const PUBLIC_CLIENT = { id: "mcp-client", redirectUri: "http://127.0.0.1/callback" };
/** The user `authorize` logs in. */
const TEST_USER = "alice";
const SIGNING_ALG = "ES256";

export interface TestAuthorizationServer {
  issuer: string;
  /** A client credentials access token for `resource`, with `scope` (all the resource's scopes by default). */
  clientCredentialsToken(options: { resource: string; scope?: string }): Promise<string>;
  /**
   * Plays the browser for an authorization request: follows the redirects, logs TEST_USER in, consents,
   * and returns the code the client's redirect URI receives.
   */
  authorize(authorizationUrl: URL): Promise<string>;
  /** Signs a token with the server's current key (or a key of the caller's), for cases the server never issues. */
  sign(claims: Record<string, unknown>, options?: { kid?: string; privateKey?: CryptoKey }): Promise<string>;
  /** Replaces the signing key: the old one leaves the key set, tokens are signed with a new one. */
  rotateKey(): Promise<void>;
  /** Roles the next tokens carry in their `roles` claim. */
  roles: string[];
  stop(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = crypto.randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: "sig" } };
}

export async function startAuthorizationServer(
  options: { scopes?: string[]; tokenTtlSeconds?: number } = {},
): Promise<TestAuthorizationServer> {
  const scopes = options.scopes ?? ["mcp:tools", "mcp:admin"];
  let key = await newSigningKey();
  let provider: Provider | undefined;
  const server = createServer((req, res) => {
    if (!provider) return res.writeHead(503).end();
    const interaction = /^\/interaction\/([\w-]+)/.exec(req.url ?? "");
    if (interaction) return void finishInteraction(provider, req, res);
    return provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const as: TestAuthorizationServer = {
    issuer,
    roles: [],
    async clientCredentialsToken({ resource, scope = scopes.join(" ") }) {
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Basic ${btoa(`${MACHINE_CLIENT.id}:${MACHINE_CLIENT.secret}`)}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", resource, scope }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token)
        throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    authorize: (url) => playBrowser(url, PUBLIC_CLIENT.redirectUri),
    sign: (claims, signOptions = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: SIGNING_ALG, kid: signOptions.kid ?? key.kid, typ: "at+jwt" })
        .sign(signOptions.privateKey ?? key.privateKey),
    async rotateKey() {
      key = await newSigningKey();
      provider = createProvider();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const createProvider = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: MACHINE_CLIENT.id,
          client_secret: MACHINE_CLIENT.secret,
          grant_types: ["client_credentials"],
          redirect_uris: [],
          response_types: [],
        },
        {
          client_id: PUBLIC_CLIENT.id,
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code", "refresh_token"],
          redirect_uris: [PUBLIC_CLIENT.redirectUri],
          response_types: ["code"],
        },
      ],
      jwks: { keys: [key.jwk] },
      clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
      scopes: ["openid", "offline_access", ...scopes],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => ({
            scope: scopes.join(" "),
            audience: resource,
            accessTokenFormat: "jwt",
            accessTokenTTL: options.tokenTtlSeconds ?? 3600,
            jwt: { sign: { alg: SIGNING_ALG } },
          }),
        },
      },
      extraTokenClaims: () => (as.roles.length > 0 ? { roles: as.roles } : undefined),
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      pkce: { required: () => true },
    });
  provider = createProvider();
  return as;
}

/** The login and consent pages, answered at once for TEST_USER with every scope asked for. */
async function finishInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const { prompt, params, grantId } = await provider.interactionDetails(req, res);
    if (prompt.name === "login") {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: TEST_USER } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant =
      (grantId ? await provider.Grant.find(grantId) : undefined) ??
      new provider.Grant({ accountId: TEST_USER, clientId: String(params.client_id) });
    const details = prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(" "));
    for (const [resource, missing] of Object.entries(details.missingResourceScopes ?? {}))
      grant.addResourceScope(resource, missing.join(" "));
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
}

/** Follows redirects with the cookies a browser would keep, until the redirect URI gets its code. */
async function playBrowser(start: URL, redirectUri: string): Promise<string> {
  const cookies = new Map<string, string>();
  let url = start.toString();
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(redirectUri)) {
      const code = new URL(url).searchParams.get("code");
      if (!code) throw new Error(`the authorization server answered without a code: ${url}`);
      return code;
    }
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(url, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {} });
    for (const set of response.headers.getSetCookie()) {
      const [pair = ""] = set.split(";");
      const at = pair.indexOf("=");
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get("location");
    if (!location) throw new Error(`no redirect from ${url}: ${response.status} ${await response.text()}`);
    url = new URL(location, url).toString();
  }
  throw new Error("too many redirects");
}
