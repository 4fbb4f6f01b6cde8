/**
 * Tool governance end to end, through a real gateway and the SDK client, on each test store: overrides
 * (rename, rewording, hidden, fixed and default arguments), pinned definitions under each mode, and
 * result size and time limits per tool and per service.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { eventually } from "../../test/support/eventually.ts";
import { type FixtureBackend, startFixtureBackend } from "../../test/support/fixture-backend.ts";
import {
  connectClient,
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { createTestDatabase, type TestDatabase, testDatabaseKinds } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

/** What the fixture's `shifty` tool says about itself; every per-request server reads it. */
let shiftyDescription = "v1";

function fixtureServer(): McpServer {
  const server = new McpServer(
    { name: "governed", version: "1.0.0" },
    { capabilities: { tools: { listChanged: true } } },
  );
  server.registerTool(
    "echo",
    {
      description: "Echoes its arguments.",
      inputSchema: { tenant: z.string(), text: z.string(), mode: z.string().optional() },
    },
    async (args) => ({ content: [{ type: "text", text: JSON.stringify(args) }] }),
  );
  server.registerTool("big", { inputSchema: { size: z.number() } }, async ({ size }) => ({
    content: [{ type: "text", text: "x".repeat(size) }],
  }));
  server.registerTool("slow", {}, async () => {
    await Bun.sleep(2_000);
    return { content: [{ type: "text", text: "late" }] };
  });
  server.registerTool("shifty", { description: shiftyDescription }, async () => ({
    content: [{ type: "text", text: "shifty" }],
  }));
  server.registerTool("shift", { inputSchema: { to: z.string() } }, async ({ to }, extra) => {
    shiftyDescription = to;
    await extra.sendNotification({ method: "notifications/tools/list_changed" });
    return { content: [{ type: "text", text: "shifted" }] };
  });
  return server;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

for (const kind of testDatabaseKinds()) {
  describe(`tool governance on ${kind}`, () => {
    let database: TestDatabase;
    let versions: VersionStore;
    let gw: RunningGateway;
    let backend: FixtureBackend;

    beforeAll(async () => {
      database = await createTestDatabase({ kind });
      versions = await createTestVersionStore();
      gw = await startGateway({ database, versionStore: versions });
      backend = startFixtureBackend(fixtureServer);
      expect((await gw.admin("POST", "/register", { name: "fx", url: backend.url })).status).toBe(201);
    });
    afterAll(async () => {
      await gw?.stop();
      await backend?.stop();
      await versions?.close();
      await database?.close();
    });

    const governanceOf = async () => {
      const { services } = (await json(await gw.admin("GET", "/services"))) as {
        services: { name: string; governance: Record<string, unknown> }[];
      };
      return services.find((s) => s.name === "fx")?.governance;
    };
    const toolNames = async () => (await (await gw.client()).listTools()).tools.map((t) => t.name);

    test("an override renames, rewords, fixes and defaults arguments; the rename is what globs select", async () => {
      const override = {
        name: "say",
        title: "Say",
        description: "Says something for the tenant.",
        annotations: { readOnlyHint: true, openWorldHint: false },
        fixedArguments: { tenant: "acme" },
        defaultArguments: { mode: "loud" },
      };
      const put = await gw.admin("PUT", "/services/fx/tools/echo", override);
      expect(put.status).toBe(200);
      const client = await gw.client();
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("say");
      expect(tools.map((t) => t.name)).not.toContain("echo");
      const say = tools.find((t) => t.name === "say");
      expect(say?.title).toBe("Say");
      expect(say?.description).toBe("Says something for the tenant.");
      expect(say?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
      expect(Object.keys(say?.inputSchema.properties ?? {}).sort()).toEqual(["mode", "text"]);
      expect(say?.inputSchema.required).toEqual(["text"]);
      expect(say?.inputSchema.properties?.mode).toMatchObject({ default: "loud" });

      const called = await client.callTool({ name: "say", arguments: { text: "hi", tenant: "evil" } });
      expect(JSON.parse(firstText(called))).toEqual({ tenant: "acme", text: "hi", mode: "loud" });
      const quiet = await client.callTool({ name: "say", arguments: { text: "hi", mode: "soft" } });
      expect(JSON.parse(firstText(quiet))).toEqual({ tenant: "acme", text: "hi", mode: "soft" });
      expect(await governanceOf()).toMatchObject({ overrides: { echo: override } });

      const created = await gw.admin("POST", "/virtual-servers", { name: "speech", tools: ["fx/say"] });
      expect(created.status).toBe(201);
      await eventually(() => gw.gateway.catalog.snapshot().virtualServers.some((s) => s.name === "speech"));
      const speech = await connectClient(`${gw.url}/servers/speech/mcp`, TEST_BEARER);
      expect((await speech.listTools()).tools.map((t) => t.name)).toEqual(["say"]);
      await speech.close();
    });

    test("a hidden tool is neither listed nor callable, and removing the override brings it back", async () => {
      expect((await gw.admin("PUT", "/services/fx/tools/shifty", { hidden: true })).status).toBe(200);
      expect(await toolNames()).not.toContain("shifty");
      await expect((await gw.client()).callTool({ name: "shifty", arguments: {} })).rejects.toThrow(/Unknown tool/);
      expect((await gw.admin("DELETE", "/services/fx/tools/shifty")).status).toBe(200);
      expect(await toolNames()).toContain("shifty");
      expect((await gw.admin("DELETE", "/services/fx/tools/shifty")).status).toBe(404);
      expect((await gw.admin("PUT", "/services/fx/tools/nope", { hidden: true })).status).toBe(404);
    });

    for (const mode of ["off", "warn", "hold"] as const) {
      test(`pinning ${mode}: a description changed between two refreshes`, async () => {
        shiftyDescription = `${mode} approved`;
        await gw.admin("PUT", "/update/fx");
        expect((await gw.admin("PUT", "/services/fx/pinning", { mode: "off" })).status).toBe(200);
        const pinned = await json(await gw.admin("PUT", "/services/fx/pinning", { mode }));
        expect(pinned).toEqual({ service: "fx", pinning: mode, pending: [] });

        shiftyDescription = `${mode} changed`;
        expect((await gw.admin("PUT", "/update/fx")).status).toBe(200);
        const served = (await (await gw.client()).listTools()).tools.find((t) => t.name === "shifty");
        const { pending } = (await json(await gw.admin("GET", "/services/fx/pending"))) as {
          pending: { tool: string; reason: string }[];
        };
        if (mode === "hold") expect(served).toBeUndefined();
        else expect(served?.description).toBe(`${mode} changed`);
        expect(pending.map((p) => [p.tool, p.reason])).toEqual(mode === "off" ? [] : [["shifty", "changed"]]);
        const metrics = await (await fetch(`${gw.url}/metrics`)).text();
        if (mode !== "off")
          expect(metrics).toContain(
            `mcp_gateway_governance_events_total{service="fx",kind="${mode === "hold" ? "tool_held" : "tool_flagged"}"}`,
          );

        if (mode === "off") return;
        const approved = await gw.admin("POST", "/services/fx/tools/shifty/approve");
        expect(approved.status).toBe(200);
        expect((await (await gw.client()).listTools()).tools.find((t) => t.name === "shifty")?.description).toBe(
          `${mode} changed`,
        );
        expect(await json(await gw.admin("GET", "/services/fx/pending"))).toEqual({ service: "fx", pending: [] });
      });

      test(`pinning ${mode}: a backend's list_changed re-pulls the changed definition`, async () => {
        await gw.admin("PUT", "/services/fx/pinning", { mode: "off" });
        await gw.admin("PUT", "/services/fx/pinning", { mode });
        const client = await gw.client();
        await client.callTool({ name: "shift", arguments: { to: `${mode} announced` } });
        const listed = () => gw.gateway.catalog.snapshot().tools.find((t) => t.name === "shifty");
        if (mode === "hold") await eventually(() => listed() === undefined);
        else await eventually(() => listed()?.description === `${mode} announced`);
        const { pending } = (await json(await gw.admin("GET", "/services/fx/pending"))) as { pending: unknown[] };
        expect(pending.length).toBe(mode === "off" ? 0 : 1);
        await gw.admin("POST", "/services/fx/tools/shifty/approve");
      });
    }

    test("a result over the tool's limit is a tool error, or is truncated with a marker", async () => {
      const client = await gw.client();
      await gw.admin("PUT", "/services/fx/tools/big", { limits: { maxResultBytes: 2_000 } });
      const refused = await client.callTool({ name: "big", arguments: { size: 5_000 } });
      expect(refused.isError).toBe(true);
      expect(firstText(refused)).toContain("larger than 2000 bytes");
      expect((await client.callTool({ name: "big", arguments: { size: 500 } })).isError).toBeFalsy();

      await gw.admin("PUT", "/services/fx/tools/big", { limits: { maxResultBytes: 2_000, onOversize: "truncate" } });
      const cut = await client.callTool({ name: "big", arguments: { size: 5_000 } });
      expect(cut.isError).toBeFalsy();
      const content = cut.content as { type: string; text: string }[];
      expect(content.at(-1)?.text).toContain("[truncated by the gateway");
      expect(content[0]?.text).toMatch(/^x+$/);
      expect(new TextEncoder().encode(JSON.stringify({ content })).length).toBeLessThanOrEqual(2_000);
    });

    test("a service's timeout applies to its tools, and a tool's own replaces it", async () => {
      const client = await gw.client();
      expect((await gw.admin("PUT", "/services/fx/limits", { timeoutMs: 100 })).status).toBe(200);
      const late = await client.callTool({ name: "slow", arguments: {} });
      expect(late.isError).toBe(true);
      expect(firstText(late)).toContain('"fx" is unavailable');
      await gw.admin("PUT", "/services/fx/tools/slow", { limits: { timeoutMs: 4_000 } });
      expect(firstText(await client.callTool({ name: "slow", arguments: {} }))).toBe("late");
      expect(await governanceOf()).toMatchObject({ limits: { timeoutMs: 100 } });
    });

    test("bad input to each governance route is refused with its issues and stores nothing", async () => {
      const before = await governanceOf();
      const cases: [string, string, unknown][] = [
        ["PUT", "/services/fx/tools/big", { name: "has space" }],
        ["PUT", "/services/fx/tools/big", { fixedArguments: { a: 1 }, defaultArguments: { a: 2 } }],
        ["PUT", "/services/fx/tools/big", { limits: { onOversize: "explode" } }],
        ["PUT", "/services/fx/tools/big", { colour: "red" }],
        ["PUT", "/services/fx/tools/b%20g", { hidden: true }],
        ["PUT", "/services/fx/limits", { maxResultBytes: 1 }],
        ["PUT", "/services/fx/pinning", { mode: "sometimes" }],
        ["PUT", "/services/fx/pinning", {}],
        ["POST", "/services/FX/tools/big/approve", undefined],
        ["GET", "/services/FX/pending", undefined],
      ];
      for (const [method, path, body] of cases) {
        const response = await gw.admin(method, path, body);
        const answer = (await response.json()) as { error: { code: string; issues?: unknown[] } };
        expect([path, response.status]).toEqual([path, 400]);
        expect(answer.error.code).toBe("bad_request");
        expect(answer.error.issues?.length).toBeGreaterThan(0);
      }
      expect(await governanceOf()).toEqual(before);
    });
  });
}
