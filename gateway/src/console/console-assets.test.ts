import { expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { Hono } from "hono";
import { buildConsole, loadConsoleAssets } from "./console-assets.ts";
import { createConsoleRoutes } from "./console-routes.ts";

test("the shipped console stays under 150 KB gzipped", async () => {
  const files = await buildConsole();
  expect([...files.keys()].toSorted()).toEqual(["assets/app.css", "assets/app.js", "index.html"]);
  const gzipped = [...files.values()].reduce((sum, body) => sum + gzipSync(body).length, 0);
  expect(gzipped).toBeLessThan(150 * 1024);
});

test("/ui serves the page for client routes, its assets gzipped, and nothing from elsewhere", async () => {
  const app = new Hono().route(
    "/",
    createConsoleRoutes(() => loadConsoleAssets({ prebuilt: false })),
  );
  const page = await app.request("/ui/services/anything");
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toStartWith("text/html");
  expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
  expect(await page.text()).toContain('src="/ui/assets/app.js"');

  const script = await app.request("/ui/assets/app.js", { headers: { "Accept-Encoding": "gzip" } });
  expect(script.headers.get("content-encoding")).toBe("gzip");
  expect((await app.request("/ui/assets/missing.js")).status).toBe(404);
  expect((await app.request("/ui")).headers.get("location")).toBe("/ui/");
});
