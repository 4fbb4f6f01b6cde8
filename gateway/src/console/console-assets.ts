/**
 * The operator console's files. The production image builds them ahead (`bun run console:build` writes
 * gateway/console/dist/), and a production gateway serves that build; otherwise, as under `bun run dev`,
 * the gateway bundles the console from its sources, so there is no extra step and no stale build.
 * Either way the files are held in memory, gzipped once.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const CONSOLE_DIR = join(import.meta.dir, "../../console");
const DIST_DIR = join(CONSOLE_DIR, "dist");
const ENTRY = join(CONSOLE_DIR, "src/main.tsx");
const HTML = join(CONSOLE_DIR, "src/index.html");

export interface ConsoleAsset {
  body: Uint8Array<ArrayBuffer>;
  gzipped: Uint8Array<ArrayBuffer>;
  type: string;
}

/** Files by their path below /ui/ ("index.html", "assets/app.js", ...). */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

function asset(path: string, body: Uint8Array<ArrayBuffer>): ConsoleAsset {
  const extension = path.slice(path.lastIndexOf("."));
  return { body, gzipped: new Uint8Array(gzipSync(body)), type: TYPES[extension] ?? "application/octet-stream" };
}

/** Bundles the console: the HTML page and its minified script and styles, as path -> contents. */
export async function buildConsole(): Promise<Map<string, Uint8Array<ArrayBuffer>>> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    minify: true,
    target: "browser",
    naming: { entry: "assets/app.[ext]", asset: "assets/[name].[ext]" },
  });
  if (!result.success) throw new AggregateError(result.logs, "the console failed to build");
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const output of result.outputs) {
    files.set(output.path.replace(/^\.\//, ""), new Uint8Array(await output.arrayBuffer()));
  }
  files.set("index.html", new Uint8Array(await Bun.file(HTML).arrayBuffer()));
  return files;
}

export async function loadConsoleAssets(options: { prebuilt: boolean }): Promise<ConsoleAssets> {
  const files = options.prebuilt && existsSync(join(DIST_DIR, "index.html")) ? await readDist() : await buildConsole();
  return new Map([...files].map(([path, body]) => [path, asset(path, body)]));
}

async function readDist(): Promise<Map<string, Uint8Array<ArrayBuffer>>> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const path of await readdir(DIST_DIR, { recursive: true })) {
    const file = Bun.file(join(DIST_DIR, path));
    if ((await file.exists()) && file.size > 0) files.set(path, new Uint8Array(await file.arrayBuffer()));
  }
  return files;
}
