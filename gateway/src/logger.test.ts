import { describe, expect, test } from "bun:test";
import { createLogger } from "./logger.ts";

const CREDENTIALS = {
  headers: { Authorization: "Bearer backend-own-token", "X-Custom": "custom-secret-value" },
  authorization: "Bearer client-token",
  apiKey: "the-api-key",
  "x-api-key": "another-api-key",
  token: "a-token",
  secretsKey: "a-secrets-key",
  password: "a-password",
};

describe.each([
  ["JSON", true],
  ["readable", false],
])("the %s logger", (_, json) => {
  test("redacts credential fields by name, at any depth, and keeps the rest", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", json, write: (line) => lines.push(line) });
    log.child({ service: "private-user" }).info("service registered", {
      ...CREDENTIALS,
      nested: { target: { url: "http://backend:3000", ...CREDENTIALS } },
    });

    expect(lines).toHaveLength(1);
    const [line = ""] = lines;
    const values = ["backend-own-token", "custom-secret-value", "client-token", "the-api-key", "another-api-key"];
    for (const value of [...values, "a-token", "a-secrets-key", "a-password"]) expect(line).not.toContain(value);
    expect(line).toContain("[redacted]");
    expect(line).toContain("private-user");
    expect(line).toContain("http://backend:3000");
  });
});

test("lines written to stdout together are all there, also when the process exits at once", async () => {
  const script = [
    `import { createLogger } from ${JSON.stringify(`${import.meta.dir}/logger.ts`)};`,
    `const log = createLogger({ level: "info", json: true });`,
    `log.info("first"); log.child({ service: "s" }).warn("second");`,
    `setTimeout(() => { log.info("third"); process.exit(0); }, 10);`,
  ].join("\n");
  const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
  const [output, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(exitCode).toBe(0);
  expect(
    output
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { msg: string }).msg),
  ).toEqual(["first", "second", "third"]);
});

test("a readable line is the time, the level, the message and its fields", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", json: false, write: (line) => lines.push(line) });
  log.info("request", { method: "POST", status: 200, ok: true, route: undefined });
  log.child({ service: "s" }).warn("bare");
  log.info("no fields");
  expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}request {2}method=POST status=200 ok=true route=undefined$/);
  expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}bare {2}service=s$/);
  expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}no fields$/);
});
