/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance) run against the gateway's /mcp,
 * with each requirement set it serves, while the gateway fronts a backend of one revision: the shopping
 * service (which the suite checks directly in its own test, and which the gateway speaks 2026-07-28
 * with), or a backend that speaks only 2025 (checked directly here too). What fails is listed check by
 * check with the reason in gateway/test/conformance/baseline-<backend>-<revision>.yml; a claimed check
 * that fails, or a listed one that starts to pass, fails the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { serve } from "@mcp-federation/mcp-http";
import { CONFORMANCE_RUN, runConformanceSuite } from "@mcp-federation/mcp-http/testing/conformance";
import type { Server } from "bun";
import { type BackendProcess, startBackend } from "../test/support/backend-process.ts";
import {
  createTestVersionStore,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../test/support/gateway-harness.ts";
import { type RevisionBackend, startRevisionBackend } from "../test/support/revision-backend.ts";
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
  const versions = createTestVersionStore();
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

describe("the gateway against the MCP conformance suite, fronting a 2026-07-28 backend", () => {
  let shopping: BackendProcess;
  let fronted: Fronted;
  beforeAll(async () => {
    shopping = await startBackend("shopping");
    fronted = await front("shopping-service", shopping.url);
  });
  afterAll(async () => {
    await stop(fronted);
    await shopping?.stop();
  });

  test.each(REVISIONS)(
    "fails no scored check of the %s requirements outside the baseline",
    (revision) => expectConformance(`http://127.0.0.1:${fronted.open.port}/mcp`, revision, `modern-${revision}`),
    CONFORMANCE_RUN,
  );
});

describe("the gateway against the MCP conformance suite, fronting a 2025-only backend", () => {
  let legacy: RevisionBackend;
  let fronted: Fronted;
  beforeAll(async () => {
    legacy = startRevisionBackend("2025", "legacyEcho");
    fronted = await front("legacy", legacy.url);
  });
  afterAll(async () => {
    await stop(fronted);
    await legacy?.stop();
  });

  test(
    "the backend itself fails no scored check of the 2025-11-25 requirements outside its baseline",
    () => expectConformance(`${legacy.url}/mcp`, "2025-11-25", "legacy-direct-2025-11-25"),
    CONFORMANCE_RUN,
  );

  test.each(REVISIONS)(
    "fails no scored check of the %s requirements outside the baseline",
    (revision) => expectConformance(`http://127.0.0.1:${fronted.open.port}/mcp`, revision, `legacy-${revision}`),
    CONFORMANCE_RUN,
  );
});
