import { describe, expect, test } from "bun:test";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { serviceRecord } from "../../test/support/service-records.ts";
import { buildSnapshot } from "../catalog/catalog-snapshot.ts";
import type { ServiceRecord } from "../registry/queries.ts";
import { listPage } from "./list-pages.ts";

const service = (name: string, tools: number): ServiceRecord => ({
  ...serviceRecord(
    name,
    Array.from({ length: tools }, (_, i) => `${name}-tool-${i}`),
  ),
  prompts: [{ name: `${name}-prompt` }],
});

/** Every tool name, page by page, following nextCursor as a client would. */
function pageThrough(snapshot = buildSnapshot([service("a", 7)], 1), pageSize = 3): { names: string[]; pages: number } {
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = listPage(snapshot, "tools", cursor, pageSize);
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== undefined);
  return { names, pages };
}

function expectInvalidParams(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(ProtocolErrorCode.InvalidParams);
    return;
  }
  throw new Error("expected an InvalidParams error");
}

describe("list pages", () => {
  test("a list no longer than the page size is one page without a cursor", () => {
    const snapshot = buildSnapshot([service("a", 3)], 1);
    expect(listPage(snapshot, "tools", undefined, 3)).toEqual({ tools: snapshot.tools });
    expect(listPage(snapshot, "prompts", undefined, 1)).toEqual({ prompts: snapshot.prompts });
  });

  test("a longer list is cut into pages that give every entry exactly once, in order", () => {
    const snapshot = buildSnapshot([service("a", 7)], 1);
    const { names, pages } = pageThrough(snapshot, 3);
    expect(names).toEqual(snapshot.tools.map((t) => t.name));
    expect(pages).toBe(3);
  });

  test("the cursor is base64url JSON of the list, the catalog version and the offset", () => {
    const { nextCursor } = listPage(buildSnapshot([service("a", 7)], 12), "tools", undefined, 3);
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(nextCursor!, "base64url").toString())).toEqual({
      list: "tools",
      version: 12,
      offset: 3,
    });
  });

  test("a cursor of an older catalog resumes at its offset, so services registered since are listed too", () => {
    const before = buildSnapshot([service("a", 4)], 1);
    const first = listPage(before, "tools", undefined, 3);
    const after = buildSnapshot([service("a", 4), service("b", 2)], 2);
    const rest = pageThrough(after, 3);
    const resumed = [...first.tools, ...listPage(after, "tools", first.nextCursor, 3).tools];
    expect(resumed.map((t) => t.name)).toEqual(rest.names.slice(0, 6));
  });

  test("a cursor past the end of a shrunken list gives an empty last page", () => {
    const { nextCursor } = listPage(buildSnapshot([service("a", 7)], 1), "tools", undefined, 6);
    expect(listPage(buildSnapshot([service("a", 2)], 2), "tools", nextCursor, 6)).toEqual({ tools: [] });
  });

  test("anything but a cursor issued for the same list is InvalidParams", () => {
    const snapshot = buildSnapshot([service("a", 7), service("b", 1)], 1);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const cursor of [
      "not a cursor",
      "",
      encode({ list: "tools", version: 1 }),
      encode({ list: "tools", version: 1, offset: -3 }),
      encode({ list: "tools", version: 1, offset: 1.5 }),
      encode({ list: "tools", version: 1, offset: 3, extra: true }),
      encode({ list: "nope", version: 1, offset: 3 }),
      encode([1, 2]),
    ]) {
      expectInvalidParams(() => listPage(snapshot, "tools", cursor, 3));
    }
    const promptCursor = listPage(snapshot, "prompts", undefined, 1).nextCursor;
    expect(promptCursor).toBeDefined();
    expectInvalidParams(() => listPage(snapshot, "tools", promptCursor, 3));
  });
});
