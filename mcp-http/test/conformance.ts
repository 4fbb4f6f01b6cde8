/**
 * Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against a service, once per
 * protocol revision it serves, with that revision's requirement set. What the services knowingly fail is
 * listed, check by check and with the reason, in `conformance/baseline-<revision>.yml`; every other
 * scored check is claimed, so the run fails on a claimed check that fails and on a listed one that
 * starts to pass.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import type { McpServerFactory } from "@modelcontextprotocol/server";
import type { Server } from "bun";
import { createMcpEndpoint } from "../src/mcp-endpoint.ts";
import { serve } from "../src/serve.ts";
import { createServiceApp } from "../src/service-app.ts";

const REVISIONS = ["2025-11-25", "2026-07-28"] as const;
// The CLI needs a newer Node than the machine has (fs.globSync), so Bun runs it.
const CLI = Bun.resolveSync("@modelcontextprotocol/conformance/dist/index.js", import.meta.dir);
const TOKEN = "conformance-token";
/** The suite runs some forty scenarios per revision: a ceiling for hangs, not a speed check. */
export const CONFORMANCE_RUN = { timeout: 120_000 };

export type Revision = (typeof REVISIONS)[number];

export interface SuiteRun {
  /** 0 when every claimed check passed and every listed one failed. */
  exitCode: number;
  /** The suite's summary and whatever it printed on stderr. */
  verdict: string;
}

/** Runs the suite's server scenarios of one revision's requirement set against `url`, with `baseline` as the expected failures. */
export async function runConformanceSuite(url: string, revision: Revision, baseline: string): Promise<SuiteRun> {
  const run = Bun.spawn(
    [process.execPath, CLI, "server", "--url", url, "--requirements", revision, "--expected-failures", baseline],
    { cwd: tmpdir(), stdout: "pipe", stderr: "pipe" },
  );
  const [output, errors, exitCode] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ]);
  return { exitCode, verdict: `${output.slice(output.indexOf("=== SUMMARY ==="))}\n${errors}` };
}

export function describeConformance(serviceName: string, createServer: McpServerFactory): void {
  describe(`${serviceName} against the MCP conformance suite`, () => {
    let server: Server<undefined>;

    beforeAll(() => {
      const app = createServiceApp({ serviceName, bearerToken: TOKEN, mcp: createMcpEndpoint(createServer) });
      // The CLI sends no Authorization header; bearer auth has its own tests in the HTTP contract.
      const withToken = (request: Request, srv: Server<undefined>) => {
        const headers = new Headers(request.headers);
        headers.set("authorization", `Bearer ${TOKEN}`);
        return app.fetch(new Request(request, { headers }), srv);
      };
      server = serve(withToken, { port: 0, hostname: "127.0.0.1", handleSignals: false });
    });
    afterAll(async () => {
      await server.stop(true);
    });

    test.each(REVISIONS)(
      "fails no scored check of the %s requirements outside the baseline",
      async (revision) => {
        const baseline = new URL(`conformance/baseline-${revision}.yml`, import.meta.url).pathname;
        const run = await runConformanceSuite(`http://127.0.0.1:${server.port}/mcp`, revision, baseline);
        expect({ exitCode: run.exitCode, verdict: run.exitCode === 0 ? "" : run.verdict }).toEqual({
          exitCode: 0,
          verdict: "",
        });
      },
      CONFORMANCE_RUN,
    );
  });
}
