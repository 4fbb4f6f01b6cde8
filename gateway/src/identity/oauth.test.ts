/**
 * The gateway as an OAuth 2.1 resource server, against a real authorization server (oidc-provider):
 * metadata, challenges, tokens it issues through client credentials and through the SDK client's own
 * authorization code flow with PKCE, and every kind of token that must be refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { generateKeyPair } from "jose";
import {
  PUBLIC_CLIENT,
  startAuthorizationServer,
  type TestAuthorizationServer,
} from "../../test/support/authorization-server.ts";
import { freePort } from "../../test/support/backend-process.ts";
import {
  connectClient,
  firstText,
  startTestStack,
  TEST_BEARER,
  type TestStack,
} from "../../test/support/gateway-harness.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { createLogger } from "../logger.ts";

let as: TestAuthorizationServer;
let stack: TestStack;
let gatewayUrl: string;
let mcpUrl: string;
const logLines: string[] = [];

beforeAll(async () => {
  as = await startAuthorizationServer();
  const port = freePort();
  gatewayUrl = `http://127.0.0.1:${port}`;
  mcpUrl = `${gatewayUrl}/mcp`;
  stack = await startTestStack({
    register: ["shopping"],
    port,
    log: createLogger({ level: "debug", json: true, write: (line) => logLines.push(line) }),
    settings: {
      publicUrl: gatewayUrl,
      oauth: { issuer: as.issuer, audience: mcpUrl, scopes: ["mcp:tools"], rolesClaim: "roles", jwksCooldownMs: 0 },
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  await as?.stop();
});

/** A tools/list over plain HTTP with `token`, for the status and headers the SDK client hides. */
function listWith(token: string | undefined, path = "/mcp"): Promise<Response> {
  return fetch(`${gatewayUrl}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
}

const now = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({
  iss: as.issuer,
  aud: mcpUrl,
  sub: "svc",
  scope: "mcp:tools",
  iat: now(),
  exp: now() + 600,
});

describe("protected resource metadata (RFC 9728)", () => {
  test("describes /mcp at its path-aware address and at the bare one", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
      const response = await fetch(`${gatewayUrl}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        resource: mcpUrl,
        authorization_servers: [as.issuer],
        scopes_supported: ["mcp:tools"],
        bearer_methods_supported: ["header"],
      });
    }
  });

  test("describes each virtual server's endpoint as a resource of its own, and nothing else", async () => {
    const response = await fetch(`${gatewayUrl}/.well-known/oauth-protected-resource/servers/sales/mcp`);
    expect(await response.json()).toMatchObject({ resource: `${gatewayUrl}/servers/sales/mcp` });
    expect((await fetch(`${gatewayUrl}/.well-known/oauth-protected-resource/services`)).status).toBe(404);
  });
});

describe("challenges", () => {
  test("a request without a token gets 401 pointing at the metadata, with the scope to ask for", async () => {
    const response = await listWith(undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${gatewayUrl}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
    );
  });

  test("a valid token without the scope gets 403 insufficient_scope naming it (step-up)", async () => {
    const token = await as.clientCredentialsToken({ resource: mcpUrl, scope: "mcp:admin" });
    const response = await listWith(token);
    expect(response.status).toBe(403);
    const challenge = response.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="mcp:tools"');
  });
});

describe("access tokens from the authorization server", () => {
  test("a client credentials token for this resource lists and calls tools through the SDK client", async () => {
    const token = await as.clientCredentialsToken({ resource: mcpUrl });
    const client = await connectClient(mcpUrl, token);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("getProductById");
      const result = await client.callTool({ name: "getProductById", arguments: { id: "123" } });
      expect(result.isError).toBeFalsy();
      expect(firstText(result)).toContain("123");
    } finally {
      await client.close();
    }
  });

  test("a token for another resource is refused (audience, RFC 8707)", async () => {
    const token = await as.clientCredentialsToken({ resource: "http://other.example/mcp" });
    const response = await listWith(token);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  test("the SDK client's own OAuth flow (authorization code with PKCE) gets a token that works", async () => {
    // The user's role, as the authorization server states it, grants every tool (ACCESS_ADMIN_ROLE).
    as.roles = ["mcp-admin"];
    const provider = new TestOAuthClient();
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    const client = new Client({ name: "oauth-test", version: "1.0.0" });
    expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    await Bun.sleep(0);
    const authorizationUrl = await provider.redirected;
    expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizationUrl.searchParams.get("resource")).toBe(mcpUrl);
    await transport.finishAuth(await as.authorize(authorizationUrl));
    expect(provider.saved?.access_token).toBeDefined();

    const authorized = new Client({ name: "oauth-test", version: "1.0.0" });
    await authorized.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    try {
      expect((await authorized.listTools()).tools.map((t) => t.name)).toContain("getProductById");
    } finally {
      as.roles = [];
      await authorized.close();
    }
  });
});

describe("tokens that must be refused", () => {
  const refused = async (token: string) => {
    const response = await listWith(token);
    return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "" };
  };

  test("a token of another issuer", async () => {
    expect((await refused(await as.sign({ ...validClaims(), iss: "http://evil.example" }))).status).toBe(401);
  });

  test("an expired token, and one not valid yet, beyond the clock skew", async () => {
    expect(await refused(await as.sign({ ...validClaims(), exp: now() - 120 }))).toMatchObject({ status: 401 });
    expect((await refused(await as.sign({ ...validClaims(), nbf: now() + 300 }))).status).toBe(401);
  });

  test("a token with a bad signature", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    expect((await refused(await as.sign(validClaims(), { privateKey }))).status).toBe(401);
  });

  test("an unsigned token (alg: none)", async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    expect((await refused(`${encode({ alg: "none", typ: "JWT" })}.${encode(validClaims())}.`)).status).toBe(401);
  });

  test("a token naming a key the issuer does not have", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    expect((await refused(await as.sign(validClaims(), { kid: "unknown-key", privateKey }))).status).toBe(401);
  });

  test("after a key rotation, tokens of the new key work and those of the retired key are refused", async () => {
    const retired = await as.sign(validClaims());
    await as.rotateKey();
    expect((await listWith(await as.clientCredentialsToken({ resource: mcpUrl }))).status).toBe(200);
    expect((await refused(retired)).status).toBe(401);
  });
});

describe("the static token", () => {
  test("keeps working next to OAuth, with full access", async () => {
    expect((await listWith(TEST_BEARER)).status).toBe(200);
  });

  test("is refused when MCP_STATIC_TOKEN is off", async () => {
    const off = await startTestStack({ settings: { staticTokenEnabled: false } });
    try {
      const response = await postMcp(`${off.gw.url}/mcp`, TEST_BEARER);
      expect(response.status).toBe(401);
    } finally {
      await off.stop();
    }
  });
});

test("no access token reaches a log line", async () => {
  const token = await as.clientCredentialsToken({ resource: mcpUrl });
  expect((await listWith(token)).status).toBe(200);
  expect((await listWith(`${token}x`)).status).toBe(401);
  expect(logLines.length).toBeGreaterThan(0);
  const signature = token.split(".")[2] ?? token;
  expect(logLines.filter((line) => line.includes(signature))).toEqual([]);
});

/** The SDK client's side of the flow, kept in memory; the "browser" is the test driving `authorize`. */
class TestOAuthClient implements OAuthClientProvider {
  saved: OAuthTokens | undefined;
  private verifier = "";
  private resolveRedirect!: (url: URL) => void;
  readonly redirected = new Promise<URL>((resolve) => {
    this.resolveRedirect = resolve;
  });

  get redirectUrl() {
    return PUBLIC_CLIENT.redirectUri;
  }
  get clientMetadata() {
    return {
      redirect_uris: [PUBLIC_CLIENT.redirectUri],
      client_name: "oauth-test",
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation(): OAuthClientInformationMixed {
    return { client_id: PUBLIC_CLIENT.id };
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.resolveRedirect(url);
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}
