/**
 * The deployment files cannot be run here (no Docker engine), so this reads them and checks what they
 * promise: compose.yml against the Compose Specification schema, the start order and health checks, the
 * gateway's environment (parsed by the gateway's own config), and the Dockerfile's build steps.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadServiceConfig } from "@mcp-federation/mcp-http";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { createComposeValidator } from "./compose-schema.ts";
import { copySources, type DockerInstruction, isDockerIgnored, parseDockerfile } from "./dockerfile.ts";

// These tests start servers and databases: a ceiling for hangs on a busy machine, not a speed check.

const ROOT = join(import.meta.dir, "../../..");

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; disable?: boolean };
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Each Bun service: its compose name, workspace folder and port. */
const BUN_SERVICES = [
  { name: "mcp-gateway", dir: "gateway", port: 3001 },
  { name: "shopping-service", dir: "shopping", port: 3002 },
  { name: "user-service", dir: "user", port: 3003 },
] as const;

const GATEWAY_VARIABLES = [
  "PORT",
  "NODE_ENV",
  "LOG_LEVEL",
  "API_KEY",
  "VIEWER_API_KEY",
  "ACCESS_ADMIN_SCOPE",
  "ACCESS_ADMIN_ROLE",
  "MCP_BEARER_TOKEN",
  "MCP_STATIC_TOKEN",
  "PUBLIC_URL",
  "OAUTH_ISSUER",
  "OAUTH_AUDIENCE",
  "OAUTH_SCOPES",
  "OAUTH_ROLES_CLAIM",
  "BACKEND_BEARER_TOKEN",
  "DATABASE_URL",
  "DB_HOST",
  "DB_PORT",
  "DB_USERNAME",
  "DB_PASSWORD",
  "DB_DATABASE",
  "DB_POOL_MAX",
  "DB_QUERY_TIMEOUT_MS",
  "DB_CONNECT_TIMEOUT_MS",
  "PGLITE_DIR",
  "REDIS_URL",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "REDIS_KEY_PREFIX",
  "CATALOG_POLL_INTERVAL_MS",
  "CATALOG_RECONCILE_INTERVAL_MS",
  "LIST_REFETCH_INTERVAL_MS",
  "GATEWAY_SERVICES",
  "TOOL_CALL_TIMEOUT_MS",
  "TOOL_CALL_MAX_DURATION_MS",
  "TOOL_RESULT_MAX_BYTES",
  "BACKEND_MAX_CONCURRENT_CALLS",
  "BACKEND_MAX_WAITING_CALLS",
  "BUN_CONFIG_MAX_HTTP_REQUESTS",
  "BACKEND_CONNECT_TIMEOUT_MS",
  "HEALTH_CHECK_INTERVAL_MS",
  "HEALTH_CHECK_TIMEOUT_MS",
  "CIRCUIT_FAILURE_THRESHOLD",
  "CIRCUIT_OPEN_MS",
  "BACKEND_ALLOWLIST",
  "STDIO_COMMANDS",
  "STDIO_RESTART_MAX_MS",
  "ALLOWED_HOSTS",
  "SECRETS_KEY",
  "MAX_BODY_BYTES",
  "BODY_READ_TIMEOUT_MS",
  "MCP_PAGE_SIZE",
  "MAX_SERVICE_LIST_ITEMS",
  "MAX_SERVICE_LIST_BYTES",
  "MCP_SESSIONS",
  "MCP_SESSION_SECRET",
  "MCP_SESSION_TTL_MS",
  "MCP_CLIENT_BACKEND_SESSIONS_MAX",
  "MCP_CLIENT_BACKEND_SESSION_IDLE_MS",
  "DRAIN_GRACE_MS",
  "RATE_LIMIT_PER_MINUTE",
  "RATE_LIMIT_TOOLS",
  "AUDIT_BATCH_SIZE",
  "AUDIT_FLUSH_INTERVAL_MS",
  "AUDIT_BUFFER_SIZE",
  "AUDIT_RETENTION_DAYS",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_SERVICE_NAME",
];

const readText = (path: string) => Bun.file(join(ROOT, path)).text();

let compose: ComposeFile;

beforeAll(async () => {
  compose = Bun.YAML.parse(await readText("compose.yml")) as ComposeFile;
});

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`compose.yml has no service ${name}`);
  return found;
}

/** What compose makes of a value with no .env and an empty environment: `${VAR:-default}` becomes default. */
function withDefaults(value: string | number): string {
  return String(value).replace(/\$\{\w+:-([^}]*)\}/g, (_, fallback: string) => fallback);
}

function gatewayEnvironment(): Record<string, string> {
  const environment = service("mcp-gateway").environment ?? {};
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, withDefaults(value)]));
}

describe("compose.yml", () => {
  test("is valid against the Compose Specification schema", async () => {
    const validate = await createComposeValidator();
    expect(validate(compose).errors).toEqual([]);
    // The validator is not vacuous: a condition compose does not know is rejected.
    const broken = structuredClone(compose);
    broken.services["mcp-gateway"]!.depends_on!.postgres!.condition = "service_ready";
    expect(validate(broken).valid).toBe(false);
  });

  test("declares the five services, each with an enabled healthcheck", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "mcp-gateway",
      "postgres",
      "redis",
      "shopping-service",
      "user-service",
    ]);
    for (const [name, { healthcheck }] of Object.entries(compose.services)) {
      const enabled =
        healthcheck?.disable !== true &&
        /^CMD(-SHELL)?$/.test(healthcheck?.test[0] ?? "") &&
        healthcheck!.test.length > 1;
      expect({ name, enabled }).toEqual({ name, enabled: true });
    }
  });

  test("runs Postgres 16 on a named volume, with the gateway's credentials, checked by pg_isready", () => {
    const postgres = service("postgres");
    expect(postgres.image).toBe("postgres:16-alpine");
    const [volumeName = "", target] = (postgres.volumes?.[0] ?? "").split(":");
    expect(Object.keys(compose.volumes ?? {})).toContain(volumeName);
    expect(target).toBe("/var/lib/postgresql/data");
    expect(postgres.healthcheck?.test.join(" ")).toContain("pg_isready");

    const gateway = service("mcp-gateway").environment ?? {};
    expect(postgres.environment?.POSTGRES_USER).toBe(gateway.DB_USERNAME!);
    expect(postgres.environment?.POSTGRES_PASSWORD).toBe(gateway.DB_PASSWORD!);
    expect(postgres.environment?.POSTGRES_DB).toBe(gateway.DB_DATABASE!);
  });

  test("runs Redis 7, checked by redis-cli ping", () => {
    const redis = service("redis");
    expect(redis.image).toBe("redis:7-alpine");
    expect(redis.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
  });

  test.each(BUN_SERVICES)("$name publishes $port and checks its own /ready with Bun", ({ name, port }) => {
    const svc = service(name);
    expect(svc.ports).toEqual([`${port}:${port}`]);
    expect(withDefaults(svc.environment?.PORT ?? "")).toBe(String(port));
    const check = svc.healthcheck?.test ?? [];
    expect(check.slice(0, 3)).toEqual(["CMD", "bun", "-e"]);
    expect(check[3]).toContain(`http://localhost:${port}/ready`);
  });

  test("starts the gateway only once Postgres, Redis and both backends are healthy", () => {
    expect(service("mcp-gateway").depends_on).toEqual({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
      "shopping-service": { condition: "service_healthy" },
      "user-service": { condition: "service_healthy" },
    });
  });

  test("gives the gateway the design's environment, with defaults that need no .env", () => {
    expect(gatewayEnvironment()).toEqual({
      PORT: "3001",
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      API_KEY: "mcp-api-key-123",
      MCP_BEARER_TOKEN: "mcp-token-123",
      BACKEND_BEARER_TOKEN: "mcp-token-123",
      DB_HOST: "postgres",
      DB_PORT: "5432",
      DB_USERNAME: "postgres",
      DB_PASSWORD: "password",
      DB_DATABASE: "mcp_registry",
      REDIS_URL: "redis://redis:6379",
      GATEWAY_SERVICES: "shopping-service=http://shopping-service:3002,user-service=http://user-service:3003",
      ALLOWED_HOSTS: "mcp-gateway",
    });
  });

  test("the gateway's environment parses into a Postgres, Redis and two-backend configuration", () => {
    const config = parseConfig(gatewayEnvironment());
    expect(config.database.url).toBe("postgres://postgres:password@postgres:5432/mcp_registry");
    expect(config.versionStore.redisUrl).toBe("redis://redis:6379");
    expect(config.bootstrapServices).toEqual([
      { name: "shopping-service", url: "http://shopping-service:3002" },
      { name: "user-service", url: "http://user-service:3003" },
    ]);
    // Containers on the compose network call /mcp by the service name.
    expect(config.allowedHosts).toContain("mcp-gateway");
    // The backends require the token the gateway sends them.
    for (const name of ["shopping-service", "user-service"]) {
      expect(config.backendBearerToken).toBe(withDefaults(service(name).environment?.MCP_BEARER_TOKEN ?? ""));
    }
  });

  test("defaults to development because production refuses the default keys", () => {
    expect(() => parseConfig({ ...gatewayEnvironment(), NODE_ENV: "production" })).toThrow(ConfigError);
  });
});

const DOCKERFILE = "deploy/Dockerfile";
/** The build arguments as the Dockerfile refers to them. */
const SERVICE_ARG = `$\{SERVICE}`;
const PORT_ARG = `$\{PORT}`;

describe(DOCKERFILE, () => {
  let steps: DockerInstruction[];
  const args = (keyword: string) => steps.filter((s) => s.keyword === keyword).map((s) => s.args);
  const indexOf = (keyword: string) => steps.findIndex((s) => s.keyword === keyword);
  /** An instruction's arguments as one service's build sees them. */
  const built = (text: string, dir: string, port: number) =>
    text.replaceAll(SERVICE_ARG, dir).replaceAll(PORT_ARG, String(port));

  beforeAll(async () => {
    steps = parseDockerfile(await readText(DOCKERFILE));
  });

  test("is the only Dockerfile in the repository", async () => {
    const files = await Array.fromAsync(new Bun.Glob("**/Dockerfile*").scan({ cwd: ROOT }));
    expect(files.filter((file) => !file.includes("node_modules"))).toEqual([DOCKERFILE]);
  });

  test.each(BUN_SERVICES)("builds $name with SERVICE=$dir and its port", ({ name, dir, port }) => {
    expect(service(name).build).toEqual({
      context: ".",
      dockerfile: DOCKERFILE,
      args: { SERVICE: dir, PORT: String(port) },
    });
  });

  test("builds on the official Bun image of the version the workspace pins", async () => {
    const { devDependencies } = await Bun.file(join(ROOT, "package.json")).json();
    expect(args("FROM")).toEqual([expect.stringMatching(new RegExp(`^oven/bun:${devDependencies["bun-types"]}(-|$)`))]);
  });

  test("runs Bun without its FTL compiler tier, as `bun run start:gateway` does", async () => {
    const { scripts } = await Bun.file(join(ROOT, "package.json")).json();
    expect(args("ENV").join(" ").split(/\s+/)).toContain("BUN_JSC_useFTLJIT=0");
    expect(scripts["start:gateway"]).toStartWith("BUN_JSC_useFTLJIT=0 bun ");
  });

  test("declares SERVICE and PORT after FROM, where the build steps can see them", () => {
    const declared = steps.flatMap((s, i) => (s.keyword === "ARG" ? [{ name: s.args.split("=")[0], i }] : []));
    expect(declared.map((d) => d.name)).toEqual(["SERVICE", "PORT"]);
    for (const { i } of declared) expect(i).toBeGreaterThan(indexOf("FROM"));
  });

  test.each(BUN_SERVICES)("installs the production dependencies of $dir only", async ({ dir, port }) => {
    const { name: packageName } = await Bun.file(join(ROOT, dir, "package.json")).json();
    const install = args("RUN").find((a) => a.startsWith("bun install"));
    expect(built(install ?? "", dir, port)).toBe(`bun install --frozen-lockfile --production --filter ${packageName}`);
  });

  test("copies every workspace manifest and the lockfile before installing, sources after", async () => {
    const { workspaces } = await Bun.file(join(ROOT, "package.json")).json();
    const installAt = steps.findIndex((s) => s.keyword === "RUN" && s.args.startsWith("bun install"));
    const before = steps
      .slice(0, installAt)
      .filter((s) => s.keyword === "COPY")
      .flatMap((s) => copySources(s.args));
    expect(before).toEqual(
      expect.arrayContaining(["package.json", "bun.lock", ...workspaces.map((w: string) => `${w}/package.json`)]),
    );
    expect(
      before.every((source) => source.endsWith("package.json") || source.endsWith(".lock") || source.endsWith(".toml")),
    ).toBe(true);
  });

  test.each(BUN_SERVICES)("copies, for $dir, only paths that exist and no test code", async ({ dir, port }) => {
    const ignored = (await readText(".dockerignore")).split("\n").map((l) => l.trim());
    expect(ignored).toContain("**/*.test.ts");
    const sources = args("COPY").flatMap((a) => copySources(built(a, dir, port)));
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
    }
    // What reaches the image from the copied folders, less what .dockerignore drops: no file of it is a test
    // or a test helper (they import bun:test or live under test/).
    const folders = sources.filter((source) => !source.includes("."));
    for (const folder of folders) {
      for await (const file of new Bun.Glob(`${folder}/**/*.ts`).scan({ cwd: ROOT })) {
        if (file.endsWith(".test.ts")) continue;
        const testCode = file.split("/").includes("test") || (await readText(file)).includes('from "bun:test"');
        expect({ file, testCode }).toEqual({ file, testCode: false });
      }
    }
  });

  test("runs as the non-root bun user, with a HEALTHCHECK on its port's /ready", () => {
    expect(args("USER")).toEqual(["bun"]);
    expect(indexOf("USER")).toBeLessThan(indexOf("CMD"));
    expect(args("ENV").join(" ")).toContain(`PORT=${PORT_ARG}`);
    expect(args("EXPOSE")).toEqual([PORT_ARG]);
    const [healthcheck] = args("HEALTHCHECK");
    expect(healthcheck).toMatch(/CMD bun -e .*http:\/\/localhost:' \+ process\.env\.PORT \+ '\/ready/);
  });

  test.each(BUN_SERVICES)(
    "starts the entry point $dir's start script names, as the first process, in the environment it sets",
    async ({ dir, port }) => {
      const { scripts } = await Bun.file(join(ROOT, "package.json")).json();
      const env = args("ENV").join(" ").split(/\s+/);
      expect(env).toContain(`SERVICE=${SERVICE_ARG}`);
      const script: string = scripts[`start:${dir}`];
      const assignments = script.match(/^(\w+=\S*\s+)*/)?.[0] ?? "";
      for (const assignment of assignments.trim().split(/\s+/).filter(Boolean)) expect(env).toContain(assignment);
      const [cmd = ""] = args("CMD");
      expect(cmd.startsWith("exec ")).toBe(true);
      expect(built(cmd.slice("exec ".length), dir, port).replaceAll('"', "")).toBe(script.slice(assignments.length));
    },
  );

  test("ships the drizzle/ migrations the gateway applies at start", () => {
    expect(args("COPY")).toContain("drizzle drizzle");
  });
});

describe(".dockerignore", () => {
  test("keeps dependencies, local data and secrets out of the build context", async () => {
    const patterns = (await readText(".dockerignore")).split("\n").map((l) => l.trim());
    expect(patterns).toEqual(expect.arrayContaining(["**/node_modules", ".env", ".data", ".git"]));
  });

  test("keeps tests and test helpers out, wherever a Dockerfile copies from", async () => {
    const dockerignore = await readText(".dockerignore");
    for (const path of [
      "gateway/src/gateway.test.ts",
      "mcp-http/test/service-contract.ts",
      "gateway/test/support/x.ts",
    ])
      expect({ path, ignored: isDockerIgnored(path, dockerignore) }).toEqual({ path, ignored: true });
    for (const path of ["gateway/src/main.ts", ".env.example", "drizzle/0000_registry.sql"])
      expect({ path, ignored: isDockerIgnored(path, dockerignore) }).toEqual({ path, ignored: false });
  });
});

describe(".env.example", () => {
  const VARIABLE_LINE = /^#\s*([A-Z][A-Z0-9_]*)=(.*)$/;

  /** `# KEY=value` lines (the file keeps every variable commented out), with the line above each. */
  async function exampleVariables(): Promise<{ key: string; value: string; above: string }[]> {
    const lines = (await readText(".env.example")).split("\n").map((l) => l.trim());
    return lines.flatMap((line, i) => {
      const match = VARIABLE_LINE.exec(line);
      return match ? [{ key: match[1]!, value: match[2]!.trim(), above: lines[i - 1] ?? "" }] : [];
    });
  }

  test("lists every gateway variable once, each under a comment of its own", async () => {
    const variables = await exampleVariables();
    expect(variables.map((v) => v.key).sort()).toEqual([...GATEWAY_VARIABLES].sort());
    for (const { key, above } of variables) {
      const described = above.startsWith("# ") && above.length > 2 && !VARIABLE_LINE.test(above);
      expect({ key, described }).toEqual({ key, described: true });
    }
  });

  test("covers every variable compose passes to the gateway", async () => {
    const keys = (await exampleVariables()).map((v) => v.key);
    expect(keys).toEqual(expect.arrayContaining(Object.keys(gatewayEnvironment())));
  });

  test("shows the gateway's real defaults", async () => {
    const defaults = parseConfig({});
    for (const { key, value } of await exampleVariables()) {
      if (value === "") continue;
      expect({ key, config: parseConfig({ [key]: value }) }).toEqual({ key, config: defaults });
    }
  });

  test("states the backends' defaults", async () => {
    const text = await readText(".env.example");
    expect(text).toContain(`default MCP_BEARER_TOKEN=${loadServiceConfig(0, {}).bearerToken}`);
    for (const { dir, port } of BUN_SERVICES.slice(1)) expect(text).toContain(`PORT=${port} (${dir})`);
  });
});
