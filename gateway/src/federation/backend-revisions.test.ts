/**
 * Backends of either revision behind one gateway: each is talked to in its own (2026-07-28 without
 * initialize or session, with the per-request `_meta` and headers; 2025 with initialize), the revision
 * found at registration is recorded and shown, and found again when the service is updated, or when
 * the backend, replaced in place by a server of the other revision, refuses a request as such a server
 * does (then at most once in a while, by all replicas together). Clients of every kind list and call
 * the tools of both through one gateway URL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { eventually, eventuallyAsync } from "../../test/support/eventually.ts";
import {
  createTestVersionStore,
  firstText,
  type RunningGateway,
  startGateway,
  TEST_BEARER,
} from "../../test/support/gateway-harness.ts";
import { postMcp } from "../../test/support/plain-mcp.ts";
import { type ReplicaPair, startReplicaPair } from "../../test/support/replica-pair.ts";
import { type RevisionBackend, startRevisionBackend } from "../../test/support/revision-backend.ts";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database.ts";
import type { VersionStore } from "../catalog/version-store.ts";

let database: TestDatabase;
let versions: VersionStore;
let gw: RunningGateway;
let modern: RevisionBackend;
let legacy: RevisionBackend;

beforeAll(async () => {
  modern = startRevisionBackend("2026-07-28", "modernEcho");
  legacy = startRevisionBackend("2025", "legacyEcho");
  database = await createTestDatabase();
  versions = await createTestVersionStore();
  gw = await startGateway({ database, versionStore: versions });
  for (const [name, backend] of [
    ["modern", modern],
    ["legacy", legacy],
  ] as const) {
    const response = await gw.admin("POST", "/register", { name, url: backend.url });
    if (response.status !== 201) throw new Error(`registering ${name}: ${response.status} ${await response.text()}`);
  }
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([modern?.stop(), legacy?.stop()]);
  await versions?.close();
  await database?.close();
});

interface ToolClient {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<object>;
  close(): Promise<void>;
}

async function v2Client(mode: "auto" | { pin: string }): Promise<ToolClient> {
  const client = new Client({ name: "revision-test", version: "1.0.0" }, { versionNegotiation: { mode } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${TEST_BEARER}` } },
    }),
  );
  return client;
}

async function serviceRevisions(): Promise<Record<string, unknown>> {
  const response = await gw.admin("GET", "/services");
  const { services } = (await response.json()) as { services: { name: string; revision: unknown }[] };
  return Object.fromEntries(services.map((s) => [s.name, s.revision]));
}

describe("backends of either revision", () => {
  test("the revision each backend speaks is recorded at registration and shown", async () => {
    expect(await serviceRevisions()).toEqual({ modern: "2026-07-28", legacy: "2025-11-25" });
  });

  test.each([
    ["a v2 client pinned to 2026-07-28", () => v2Client({ pin: "2026-07-28" })],
    ["a v2 client in auto mode", () => v2Client("auto")],
    ["a 1.x client", () => gw.client()],
  ] as const)("%s lists and calls the tools of both backends", async (_, connect) => {
    const client: ToolClient = await connect();
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
      expect(names).toEqual(["legacyEcho", "modernEcho"]);
      const fromModern = await client.callTool({ name: "modernEcho", arguments: { text: "hi" } });
      expect(firstText(fromModern)).toBe("modernEcho: hi (2026-07-28)");
      const fromLegacy = await client.callTool({ name: "legacyEcho", arguments: { text: "hi" } });
      expect(firstText(fromLegacy)).toBe("legacyEcho: hi (2025)");
    } finally {
      await client.close();
    }
  });

  test("the pool tells the revision of each backend's shared session, by which a call that cannot be asked during is not held", async () => {
    const client = await v2Client({ pin: "2026-07-28" });
    try {
      for (const name of ["modernEcho", "legacyEcho"]) await client.callTool({ name, arguments: { text: "revision" } });
    } finally {
      await client.close();
    }
    expect({ modern: gw.gateway.pool.revision("modern"), legacy: gw.gateway.pool.revision("legacy") }).toEqual({
      modern: "2026-07-28",
      legacy: "2025-11-25",
    });
    expect(gw.gateway.pool.revision("no-such-service")).toBeUndefined();
  });

  test("a 2026-07-28 backend gets no initialize and no session, and every request says what it is", async () => {
    const client = await gw.client();
    try {
      modern.seen.length = 0;
      await client.callTool({ name: "modernEcho", arguments: { text: "headers" } });
    } finally {
      await client.close();
    }
    expect(modern.seen).toEqual([
      {
        method: "tools/call",
        protocolVersionHeader: "2026-07-28",
        mcpMethodHeader: "tools/call",
        mcpNameHeader: "modernEcho",
        sessionIdHeader: null,
        meta: expect.objectContaining({
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": expect.objectContaining({ name: "mcp-federation-gateway" }),
          "io.modelcontextprotocol/clientCapabilities": expect.any(Object),
        }),
      },
    ]);
  });

  test("a 2026-07-28 backend's result reaches clients as the gateway's: without the backend's serverInfo or, for 2025, resultType", async () => {
    const call = { name: "modernEcho", arguments: { text: "whose" } };
    const legacyAnswer = (await (
      await postMcp(`${gw.url}/mcp`, TEST_BEARER, { jsonrpc: "2.0", id: 1, method: "tools/call", params: call })
    ).json()) as { result: Record<string, unknown> };
    expect(legacyAnswer.result).toEqual({ content: [{ type: "text", text: "modernEcho: whose (2026-07-28)" }] });

    const envelope = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const modernAnswer = (await (
      await postMcp(
        `${gw.url}/mcp`,
        TEST_BEARER,
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { ...call, _meta: envelope } },
        "application/json, text/event-stream",
        { "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "modernEcho" },
      )
    ).json()) as { result: Record<string, unknown> };
    expect(modernAnswer.result).toMatchObject({
      resultType: "complete",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "mcp-federation-gateway" } },
    });
  });

  test("an update finds the revision again: a backend upgraded in place is then spoken to in 2026-07-28", async () => {
    const swapped = startRevisionBackend("2025", "swappedEcho");
    try {
      expect((await gw.admin("POST", "/register", { name: "swapped", url: swapped.url })).status).toBe(201);
      expect((await serviceRevisions()).swapped).toBe("2025-11-25");
      swapped.speak("2026-07-28");
      expect((await gw.admin("PUT", "/update/swapped", {})).status).toBe(200);
      expect((await serviceRevisions()).swapped).toBe("2026-07-28");
      const client = await v2Client({ pin: "2026-07-28" });
      try {
        const result = await client.callTool({ name: "swappedEcho", arguments: { text: "again" } });
        expect(firstText(result)).toBe("swappedEcho: again (2026-07-28)");
      } finally {
        await client.close();
      }
      expect(swapped.seen.filter((r) => r.method === "initialize").length).toBe(1);
    } finally {
      await gw.admin("DELETE", "/delete/swapped");
      await swapped.stop();
    }
  });

  test.each([
    ["2026-07-28", "2025", "2025-11-25"],
    ["2025", "2026-07-28", "2026-07-28"],
  ] as const)(
    "a backend recorded as %s and replaced in place by a %s server: the call goes through in the new revision, which is recorded",
    async (from, to, recorded) => {
      const name = `replaced-${to}`;
      const replaced = startRevisionBackend(from, "replacedEcho");
      try {
        expect((await gw.admin("POST", "/register", { name, url: replaced.url })).status).toBe(201);
        const client = await gw.client();
        try {
          // A session with the backend in the recorded revision first, as a replica has before the swap.
          expect(firstText(await client.callTool({ name: "replacedEcho", arguments: { text: "before" } }))).toBe(
            `replacedEcho: before (${from})`,
          );
          replaced.speak(to);
          // Two calls at once: the one refused while the other's question is under way waits for its answer.
          const after = await Promise.all(
            ["one", "two"].map((text) => client.callTool({ name: "replacedEcho", arguments: { text } })),
          );
          expect(after.map(firstText)).toEqual([`replacedEcho: one (${to})`, `replacedEcho: two (${to})`]);
        } finally {
          await client.close();
        }
        await eventuallyAsync(async () => (await serviceRevisions())[name] === recorded);
      } finally {
        await gw.admin("DELETE", `/delete/${name}`);
        await replaced.stop();
      }
    },
  );

  test("a backend flapping between revisions is asked its revision again at most once in a while", async () => {
    // From 2025 to 2026-07-28 and back: a backend recorded as 2026-07-28 is listened to, and a listen that
    // reopens pulls the lists again; from a 2025 backend it cannot, so only the calls ask the revision here.
    const flapping = startRevisionBackend("2025", "flappingEcho");
    try {
      expect((await gw.admin("POST", "/register", { name: "flapping", url: flapping.url })).status).toBe(201);
      const client = await gw.client();
      const call = () => client.callTool({ name: "flappingEcho", arguments: { text: "x" } });
      try {
        flapping.speak("2026-07-28");
        expect(firstText(await call())).toBe("flappingEcho: x (2026-07-28)");
        await eventuallyAsync(async () => (await serviceRevisions()).flapping === "2026-07-28");
        const asked = flapping.seen.filter((r) => r.method === "server/discover").length;
        flapping.speak("2025");
        // Refused as a 2026-07-28 request, and not asked again so soon: the call fails as the backend's would.
        const refused = await call();
        expect(refused).toMatchObject({ isError: true });
        expect(firstText(refused)).toContain("HTTP 400");
        expect(flapping.seen.filter((r) => r.method === "server/discover").length).toBe(asked);
      } finally {
        await client.close();
      }
    } finally {
      await gw.admin("DELETE", "/delete/flapping");
      await flapping.stop();
    }
  });
});

describe("two replicas", () => {
  let pair: ReplicaPair;
  beforeAll(async () => {
    pair = await startReplicaPair();
  });
  afterAll(async () => {
    await pair?.stop();
  });

  const recordedOn = (replica: RunningGateway, name: string) =>
    replica.gateway.catalog.snapshot().services.find((service) => service.name === name)?.revision;

  test("a backend flapping between revisions is asked again at most once in a while by the replicas together", async () => {
    const flapping = startRevisionBackend("2025", "flappingEcho");
    try {
      expect((await pair.a.admin("POST", "/register", { name: "flapping", url: flapping.url })).status).toBe(201);
      const [clientA, clientB] = [await pair.a.client(), await pair.b.client()];
      const call = (client: typeof clientA) => client.callTool({ name: "flappingEcho", arguments: { text: "x" } });

      flapping.speak("2026-07-28");
      expect(firstText(await call(clientA))).toBe("flappingEcho: x (2026-07-28)");
      await eventually(() => recordedOn(pair.b, "flapping") === "2026-07-28");
      const asked = flapping.seen.filter((r) => r.method === "server/discover").length;

      // B has never asked this backend itself; it is A's question that keeps B from asking so soon.
      flapping.speak("2025");
      const refused = await call(clientB);
      expect(refused).toMatchObject({ isError: true });
      expect(firstText(refused)).toContain("HTTP 400");
      expect(flapping.seen.filter((r) => r.method === "server/discover").length).toBe(asked);
    } finally {
      await pair.a.admin("DELETE", "/delete/flapping");
      await flapping.stop();
    }
  });
});
