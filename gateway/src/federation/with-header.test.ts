import { describe, expect, test } from "bun:test";
import { withHeader } from "./with-header.ts";

const append = (previous: string | null) => (previous ? `${previous}, b` : "b");

describe("withHeader", () => {
  test("adds the header to a plain record, keeping the others and the rest of the init", () => {
    const init = withHeader({ method: "POST", headers: { Accept: "x" } }, "X-Hop", append);
    expect(init.method).toBe("POST");
    expect(init.headers).toEqual({ Accept: "x", "X-Hop": "b" });
  });

  test("sees a value under any letter case, as one header", () => {
    const init = withHeader({ headers: { "x-hop": "a", "X-HOP": "c" } }, "X-Hop", append);
    expect(new Headers(init.headers).get("x-hop")).toBe("a, c, b");
    expect(Object.keys(init.headers as object)).toEqual(["X-Hop"]);
  });

  test("leaves the caller's record alone", () => {
    const headers = { "X-Hop": "a" };
    withHeader({ headers }, "X-Hop", append);
    expect(headers).toEqual({ "X-Hop": "a" });
  });

  test("works on Headers, header lists and no headers at all", () => {
    expect(
      new Headers(withHeader({ headers: new Headers({ "X-Hop": "a" }) }, "X-Hop", append).headers).get("x-hop"),
    ).toBe("a, b");
    expect(new Headers(withHeader({ headers: [["X-Hop", "a"]] }, "X-Hop", append).headers).get("x-hop")).toBe("a, b");
    expect(withHeader(undefined, "X-Hop", append).headers).toEqual({ "X-Hop": "b" });
  });
});
