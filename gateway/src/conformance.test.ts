/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) run against the gateway's /mcp,
 * with each requirement set it serves, while the gateway fronts one backend: the shopping service, a
 * backend with the suite's own tools (both spoken to in 2026-07-28), or a backend that speaks only 2025;
 * the latter two are checked directly too. What fails is listed check by check with the reason in
 * gateway/test/conformance/baseline-<backend>-<revision>.yml; a claimed check that fails, or a listed
 * one that starts to pass, fails the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serve } from "@mcp-federation/mcp-http";
import { CONFORMANCE_RUN, runConformanceSuite } from "@mcp-federation/mcp-http/testing/conformance";
import type { Server } from "bun";
import { startBackend } from "../test/support/backend-process.ts";
import { startConformanceBackend } from "../test/support/conformance-backend.ts";
import {
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../test/support/gateway-harness.ts";
import { startRevisionBackend } from "../test/support/revision-backend.ts";
import { createTestDatabase, type TestDatabase } from "../test/support/test-database.ts";
import type { VersionStore } from "./catalog/version-store.ts";

const REVISIONS = ["2025-11-25", "2026-07-28"] as const;

interface Fronted {
  database: TestDatabase;
  versions: VersionStore;
  gw: RunningGateway;
  /** The gateway's /mcp with the bearer token added: the suite sends none. */
  open: Server<undefined>;
}

/** A gateway of its own with one backend registered, served to the suite without authentication. */
async function front(name: string, url: string): Promise<Fronted> {
  const database = await createTestDatabase();
  const versions = await createTestVersionStore();
  const gw = await startGateway({ database, versionStore: versions });
  const response = await gw.admin("POST", "/register", { name, url });
  if (response.status !== 201) throw new Error(`registering ${name}: ${response.status} ${await response.text()}`);
  const open = serve(
    (request, server) => {
      const headers = new Headers(request.headers);
      headers.set("authorization", `Bearer ${TEST_BEARER}`);
      return gw.gateway.app.fetch(new Request(request, { headers }), server);
    },
    { port: 0, hostname: "127.0.0.1", idleTimeoutSeconds: 0, handleSignals: false },
  );
  return { database, versions, gw, open };
}

async function stop(fronted: Fronted | undefined): Promise<void> {
  if (!fronted) return;
  await fronted.open.stop(true);
  await fronted.gw.stop();
  await fronted.versions.close();
  await fronted.database.close();
}

const baseline = (name: string) => new URL(`../test/conformance/baseline-${name}.yml`, import.meta.url).pathname;

async function expectConformance(url: string, revision: (typeof REVISIONS)[number], baselineName: string) {
  const run = await runConformanceSuite(url, revision, baseline(baselineName));
  expect({ exitCode: run.exitCode, verdict: run.exitCode === 0 ? "" : run.verdict }).toEqual({
    exitCode: 0,
    verdict: "",
  });
}

interface Backend {
  url: string;
  stop(): Promise<void>;
}

/**
 * The suite against the gateway fronting `start()`'s backend, with each requirement set, and against
 * the backend itself with the sets named in `direct` (the others it is checked with elsewhere, or does
 * not serve).
 */
function describeFronted(
  what: string,
  name: string,
  start: () => Backend | Promise<Backend>,
  direct: readonly (typeof REVISIONS)[number][],
) {
  describe(`the gateway against the MCP conformance suite, fronting ${what}`, () => {
    let backend: Backend;
    let fronted: Fronted;
    beforeAll(async () => {
      backend = await start();
      fronted = await front(name, backend.url);
    });
    afterAll(async () => {
      await stop(fronted);
      await backend?.stop();
    });

    for (const revision of direct) {
      test(
        `the backend itself fails no scored check of the ${revision} requirements outside its baseline`,
        () => expectConformance(`${backend.url}/mcp`, revision, `${name}-direct-${revision}`),
        CONFORMANCE_RUN,
      );
    }

    test.each(REVISIONS)(
      "fails no scored check of the %s requirements outside the baseline",
      (revision) => expectConformance(`http://127.0.0.1:${fronted.open.port}/mcp`, revision, `${name}-${revision}`),
      CONFORMANCE_RUN,
    );
  });
}

// Checked directly by its own test (shopping/src/conformance.test.ts), with the bearer token it requires.
describeFronted("the shopping service (2026-07-28)", "shopping", () => startBackend("shopping"), []);
describeFronted("a backend with the suite's tools (2026-07-28)", "suite-tools", startConformanceBackend, REVISIONS);
describeFronted("a backend that speaks only 2025", "legacy", () => startRevisionBackend("2025", "legacyEcho"), [
  "2025-11-25",
]);
