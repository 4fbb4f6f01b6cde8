/**
 * The console in a real browser (Debian's Chromium driven by playwright-core) against a real gateway
 * and the demo backends: what an operator does, step by step, with a screenshot of each page kept in
 * .data/console-screenshots/.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { startTestStack, TEST_API_KEY, type TestStack } from "../../test/support/gateway-harness.ts";
import { createLogger } from "../logger.ts";

const CHROMIUM = "/usr/bin/chromium";
const VIEWER_KEY = "viewer-key-for-the-console-test";
const SHOTS = join(import.meta.dir, "../../../.data/console-screenshots");

let stack: TestStack;
let browser: Browser;
const logLines: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`the console tests need Chromium at ${CHROMIUM}: apt-get install chromium`);
  await mkdir(SHOTS, { recursive: true });
  stack = await startTestStack({
    settings: { viewerApiKey: VIEWER_KEY },
    log: createLogger({ level: "debug", json: true, write: (line) => logLines.push(line) }),
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(key: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(`${stack.gw.url}/ui/`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

test("an admin signs in, registers a service through the form, sees tools appear live, tries one and deletes it", async () => {
  const page = await signIn(TEST_API_KEY);
  await expect(page.getByText("No services are registered yet.").isVisible()).resolves.toBe(true);
  await shot(page, "overview-empty");

  // A bad URL: the API's validation message stands beside the field, and nothing is registered.
  await page.getByRole("link", { name: "Register a service" }).first().click();
  await page.getByLabel("Name").fill("shopping");
  await page.getByLabel("MCP URL").fill("not a url");
  await page.getByRole("button", { name: "Register" }).click();
  const urlError = page.locator(".field.invalid", { has: page.getByLabel("MCP URL") }).locator(".field-error");
  await urlError.first().waitFor();
  expect((await urlError.first().textContent())?.length).toBeGreaterThan(0);
  await shot(page, "register-invalid");
  expect(await (await stack.gw.admin("GET", "/services")).json()).toEqual({ services: [] });

  await page.getByLabel("MCP URL").fill(stack.shopping.url);
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("heading", { name: "shopping", exact: true }).waitFor();
  await page.getByRole("link", { name: "getProductById" }).waitFor();
  await shot(page, "service");

  // Another operator registers a service through the API: the open overview shows it without a reload.
  await page.getByRole("link", { name: "Overview" }).click();
  await page.locator("tr[data-service=shopping]").waitFor();
  const registered = await stack.gw.admin("POST", "/register", { name: "people", url: stack.user.url });
  expect(registered.status).toBe(201);
  await page.locator("tr[data-service=people]").waitFor();
  await shot(page, "overview");

  // Search the catalog, open a tool and call it through the generated form.
  await page.getByRole("link", { name: "Tools" }).click();
  await page.getByLabel(/Search \d+ tools/).fill("product id");
  await page.getByRole("link", { name: /getProductById/ }).click();
  await page.getByLabel("id (required)").fill("123");
  await page.getByRole("button", { name: "Call the tool" }).click();
  const result = page.getByTestId("tool-result");
  await result.waitFor();
  expect(await result.textContent()).toContain("123");
  expect(await result.getAttribute("class")).not.toContain("is-error");
  await shot(page, "tools");

  // An unknown product is the tool's own error, shown as such.
  await page.getByLabel("id (required)").fill("no-such-product");
  await page.getByRole("button", { name: "Call the tool" }).click();
  await page.locator("[data-testid=tool-result].is-error").waitFor();

  // Delete from the service page, with a confirmation step.
  await page.goto(`${stack.gw.url}/ui/#/services/shopping`);
  await page.getByRole("button", { name: "Delete…" }).click();
  await page.getByRole("button", { name: "Delete shopping" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.locator("tr[data-service=shopping]").waitFor({ state: "detached" });
  const left = (await (await stack.gw.admin("GET", "/services")).json()) as { services: { name: string }[] };
  expect(left.services.map((s) => s.name)).toEqual(["people"]);

  // Access: a virtual server and an API key, whose secret is shown once; the audit log has it all.
  await page.getByRole("link", { name: "Virtual servers" }).click();
  await page.getByRole("heading", { name: "Create a virtual server" }).waitFor();
  await page.getByLabel("Name").fill("people-only");
  await page.getByLabel("services").fill("people");
  await page.getByRole("button", { name: "Create virtual server" }).click();
  await page.locator("[data-virtual-server=people-only]").waitFor();
  await shot(page, "virtual-servers");

  await page.getByRole("link", { name: "API keys" }).click();
  // Both pages have a "Name" field: fill the key's only once its page is there.
  await page.getByRole("heading", { name: "Create a key" }).waitFor();
  await page.getByLabel("Name").fill("nightly");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-secret").textContent()) ?? "";
  expect(secret).toStartWith("mcpk_");
  await page.locator("tr[data-key=nightly]").waitFor();
  await shot(page, "keys");
  await page.reload();
  await page.locator("tr[data-key=nightly]").waitFor();
  expect(await page.content()).not.toContain(secret);

  await page.getByRole("link", { name: "Audit log" }).click();
  await page.locator("tr[data-action='api-key.create']").waitFor();
  await page.locator("tr[data-action='service.delete']").waitFor();
  await shot(page, "audit");

  // The key never reached a URL or a log line.
  expect(page.url()).not.toContain(TEST_API_KEY);
  expect(logLines.some((line) => line.includes(TEST_API_KEY))).toBe(false);
  await page.close();
});

test("a viewer sees everything but can change nothing", async () => {
  const page = await signIn(VIEWER_KEY);
  await page.locator("tr[data-service=people]").waitFor();
  expect(await page.getByRole("link", { name: "Register a service" }).count()).toBe(0);

  await page.goto(`${stack.gw.url}/ui/#/services/people`);
  await page.getByRole("heading", { name: "people", exact: true }).waitFor();
  expect(await page.getByRole("button", { name: /Delete|Update/ }).count()).toBe(0);

  await page.goto(`${stack.gw.url}/ui/#/tools/getUserById`);
  await page.getByText("Only an admin may call tools from the console.").waitFor();
  expect(await page.getByRole("button", { name: "Call the tool" }).count()).toBe(0);

  await page.goto(`${stack.gw.url}/ui/#/keys`);
  await page.locator("tr[data-key=nightly]").waitFor();
  expect(await page.getByRole("button", { name: /Create key|Revoke/ }).count()).toBe(0);
  await page.goto(`${stack.gw.url}/ui/#/virtual-servers`);
  await page.locator("[data-virtual-server=people-only]").waitFor();
  expect(await page.getByRole("button", { name: /Create virtual server|Delete/ }).count()).toBe(0);
  await page.close();

  // The API behind the console refuses a viewer's writes, whatever a page shows.
  const asViewer = (method: string, path: string, body?: unknown) =>
    fetch(`${stack.gw.url}${path}`, {
      method,
      headers: { "X-API-Key": VIEWER_KEY, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  expect((await asViewer("POST", "/tools/getUserById/call", { arguments: { id: "1" } })).status).toBe(403);
  expect((await asViewer("GET", "/catalog")).status).toBe(200);
});

test("the console is readable at phone width", async () => {
  const page = await signIn(TEST_API_KEY, { width: 390, height: 844 });
  await page.locator("tr[data-service=people]").waitFor();
  await shot(page, "overview-phone");
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await page.close();
});
