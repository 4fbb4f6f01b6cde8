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

  test("production refuses the public default key and token, and says which", () => {
    expect(() => parseConfig({ NODE_ENV: "production" })).toThrow(/API_KEY[\s\S]*MCP_BEARER_TOKEN/);
    expect(() => parseConfig({ NODE_ENV: "production", API_KEY: "k".repeat(32) })).toThrow(/MCP_BEARER_TOKEN/);
    const ok = parseConfig({ NODE_ENV: "production", API_KEY: "k".repeat(32), MCP_BEARER_TOKEN: "t".repeat(32) });
    expect(ok.nodeEnv).toBe("production");
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
