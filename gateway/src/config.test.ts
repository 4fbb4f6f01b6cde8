import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { ConfigError, parseConfig } from "./config.ts";

// One test starts the gateway process: a ceiling for hangs on a busy machine, not a speed check.

describe("parseConfig", () => {
  test("an empty environment gives the documented defaults and the embedded stores", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      port: 3001,
      apiKey: "mcp-api-key-123",
      bearerToken: "mcp-token-123",
      backendBearerToken: "mcp-token-123",
    });
    expect(config.database.url).toBeUndefined();
    expect(config.database.pgliteDir).toBe(".data/pglite");
    expect(config.versionStore).toMatchObject({ redisUrl: undefined, keyPrefix: "mcp:" });
  });

  test("the design's DB_* variables build a Postgres URL with encoded credentials", () => {
    const config = parseConfig({
      DB_HOST: "db",
      DB_USERNAME: "gw",
      DB_PASSWORD: "p@ss:word/1",
      DB_DATABASE: "mcp_registry",
    });
    expect(config.database.url).toBe("postgres://gw:p%40ss%3Aword%2F1@db:5432/mcp_registry");
    expect(parseConfig({ DATABASE_URL: "postgres://x@y/z", DB_HOST: "ignored" }).database.url).toBe("postgres://x@y/z");
  });

  test("the URL built from DB_* parses back to the credentials, whatever characters they hold", () => {
    const url = parseConfig({
      DB_HOST: "db.internal",
      DB_PORT: "5433",
      DB_USERNAME: "gate way",
      DB_PASSWORD: "p@ss:w/rd?#%",
    }).database.url;
    const parsed = new URL(url ?? "");
    expect(decodeURIComponent(parsed.username)).toBe("gate way");
    expect(decodeURIComponent(parsed.password)).toBe("p@ss:w/rd?#%");
    expect(parsed.hostname).toBe("db.internal");
    expect(parsed.port).toBe("5433");
  });

  test("an IPv6 DB_HOST is bracketed, so the URL is valid", () => {
    expect(parseConfig({ DB_HOST: "::1" }).database.url).toBe("postgres://postgres@[::1]:5432/mcp_registry");
    expect(new URL(parseConfig({ DB_HOST: "fd00::5" }).database.url ?? "").hostname).toBe("[fd00::5]");
    expect(parseConfig({ DB_HOST: "[::1]" }).database.url).toBe("postgres://postgres@[::1]:5432/mcp_registry");
  });

  test("GATEWAY_SERVICES is a list of name=url pairs", () => {
    const config = parseConfig({
      GATEWAY_SERVICES: " shopping-service=http://localhost:3002 , user-service=http://localhost:3003",
    });
    expect(config.bootstrapServices).toEqual([
      { name: "shopping-service", url: "http://localhost:3002" },
      { name: "user-service", url: "http://localhost:3003" },
    ]);
    expect(() => parseConfig({ GATEWAY_SERVICES: "just-a-name" })).toThrow(/name=url/);
  });

  test("bad values are reported by field", () => {
    expect(() => parseConfig({ PORT: "eighty", LOG_LEVEL: "loud" })).toThrow(ConfigError);
    try {
      parseConfig({ PORT: "eighty", LOG_LEVEL: "loud" });
    } catch (error) {
      expect(String((error as Error).message)).toContain("PORT");
      expect(String((error as Error).message)).toContain("LOG_LEVEL");
    }
  });

  test("the viewer key and the admin scope and role", () => {
    expect(parseConfig({})).toMatchObject({
      viewerApiKey: undefined,
      access: { adminScope: "mcp:admin", adminRole: "mcp-admin" },
    });
    expect(parseConfig({ VIEWER_API_KEY: "look", ACCESS_ADMIN_ROLE: "ops" })).toMatchObject({
      viewerApiKey: "look",
      access: { adminRole: "ops" },
    });
    // With the admin's key a viewer would be an admin.
    expect(() => parseConfig({ API_KEY: "same", VIEWER_API_KEY: "same" })).toThrow(/VIEWER_API_KEY/);
  });

  test("production refuses the public default key and token, and says which", () => {
    expect(() => parseConfig({ NODE_ENV: "production" })).toThrow(/API_KEY[\s\S]*MCP_BEARER_TOKEN/);
    expect(() => parseConfig({ NODE_ENV: "production", API_KEY: "k".repeat(32) })).toThrow(/MCP_BEARER_TOKEN/);
    const ok = parseConfig({ NODE_ENV: "production", API_KEY: "k".repeat(32), MCP_BEARER_TOKEN: "t".repeat(32) });
    expect(ok.nodeEnv).toBe("production");
  });

  const STRONG = { NODE_ENV: "production", API_KEY: "k".repeat(32), MCP_BEARER_TOKEN: "t".repeat(32) };

  test.each([
    ["a one-character API key", { API_KEY: "k" }, "API_KEY is shorter than 16"],
    ["a 15-character bearer token", { MCP_BEARER_TOKEN: "t".repeat(15) }, "MCP_BEARER_TOKEN is shorter than 16"],
    ["the default API key after a space", { API_KEY: " mcp-api-key-123" }, "API_KEY is a public default"],
    ["the default token inside spaces", { MCP_BEARER_TOKEN: " mcp-token-123 " }, "MCP_BEARER_TOKEN is a public"],
    ["a demo backend token", { BACKEND_BEARER_TOKEN: "mcp-token-123" }, "BACKEND_BEARER_TOKEN is a public"],
    ["a short backend token", { BACKEND_BEARER_TOKEN: "b".repeat(8) }, "BACKEND_BEARER_TOKEN is shorter"],
    ["the clients' token for backends", { BACKEND_BEARER_TOKEN: "t".repeat(32) }, "equals MCP_BEARER_TOKEN"],
    ["a short session secret", { MCP_SESSION_SECRET: "secret" }, "MCP_SESSION_SECRET is shorter"],
    ["a default as session secret", { MCP_SESSION_SECRET: "mcp-api-key-123" }, "MCP_SESSION_SECRET is a public"],
    ["a short secrets key", { SECRETS_KEY: "key" }, "SECRETS_KEY is shorter"],
    ["a default as secrets key", { SECRETS_KEY: " mcp-token-123" }, "SECRETS_KEY is a public"],
  ])("production refuses %s", (_, weak, reason) => {
    expect(() => parseConfig({ ...STRONG, ...weak })).toThrow(reason);
  });

  test("backends get their own token, not the clients': the demo one outside production, none by default in it", () => {
    expect(parseConfig({ MCP_BEARER_TOKEN: "client-token-0123456789" }).backendBearerToken).toBe("mcp-token-123");
    expect(parseConfig({ BACKEND_BEARER_TOKEN: "own" }).backendBearerToken).toBe("own");
    expect(parseConfig(STRONG).backendBearerToken).toBeUndefined();
    const own = parseConfig({ ...STRONG, BACKEND_BEARER_TOKEN: "b".repeat(32) });
    expect(own.backendBearerToken).toBe("b".repeat(32));
  });

  test("OAuth is on with OAUTH_ISSUER; the audience defaults to the public /mcp URL", () => {
    expect(parseConfig({}).oauth).toBeUndefined();
    const config = parseConfig({ OAUTH_ISSUER: "https://auth.example", PUBLIC_URL: "https://gw.example/" });
    expect(config.oauth).toEqual({
      issuer: "https://auth.example",
      audience: "https://gw.example/mcp",
      scopes: ["mcp:tools"],
      rolesClaim: "roles",
    });
    const explicit = parseConfig({
      OAUTH_ISSUER: "https://auth.example",
      OAUTH_AUDIENCE: "https://mcp.example",
      OAUTH_SCOPES: "mcp:tools, mcp:admin",
      OAUTH_ROLES_CLAIM: "realm_access.roles",
    });
    expect(explicit.oauth).toMatchObject({ audience: "https://mcp.example", scopes: ["mcp:tools", "mcp:admin"] });
    expect(() => parseConfig({ OAUTH_ISSUER: "not a url" })).toThrow(ConfigError);
  });

  test("tracing is on only with OTEL_EXPORTER_OTLP_ENDPOINT, posting to its /v1/traces", () => {
    expect(parseConfig({}).tracing).toBeUndefined();
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: " ", OTEL_SERVICE_NAME: "named" }).tracing).toBeUndefined();
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      serviceName: "mcp-gateway",
    });
    expect(
      parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example/base", OTEL_SERVICE_NAME: "gw-eu" }).tracing,
    ).toEqual({ tracesUrl: "https://otel.example/base/v1/traces", serviceName: "gw-eu" });
    expect(() => parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(ConfigError);
  });

  test("production warns when the static token still works next to OAuth", () => {
    const secrets = { NODE_ENV: "production", API_KEY: "k".repeat(32), OAUTH_ISSUER: "https://auth.example" };
    expect(parseConfig({ ...secrets, MCP_BEARER_TOKEN: "t".repeat(32) }).warnings).toEqual([
      expect.stringContaining("MCP_STATIC_TOKEN=off"),
    ]);
    const off = parseConfig({ ...secrets, MCP_STATIC_TOKEN: "off" });
    expect(off.warnings).toEqual([]);
    expect(off.staticTokenEnabled).toBe(false);
  });
});

test("the gateway process exits with the reason when production keeps the defaults", async () => {
  const { API_KEY: _key, MCP_BEARER_TOKEN: _token, ...inherited } = process.env;
  const child = Bun.spawn(["bun", "run", "gateway/src/main.ts"], {
    cwd: resolve(import.meta.dir, "../.."),
    env: { ...inherited, NODE_ENV: "production", PORT: "0", PGLITE_DIR: "memory://" },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await child.exited).toBe(1);
  const stderr = await new Response(child.stderr).text();
  expect(stderr).toContain("Refusing to start with NODE_ENV=production");
  expect(stderr).toContain("API_KEY");
});
