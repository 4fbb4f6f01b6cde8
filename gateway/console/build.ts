/** Writes the console's bundle to gateway/console/dist/, for the production image. */
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildConsole } from "../src/console/console-assets.ts";

const dist = join(import.meta.dir, "dist");
await rm(dist, { recursive: true, force: true });
let gzipped = 0;
for (const [path, body] of await buildConsole()) {
  const target = join(dist, path);
  await mkdir(dirname(target), { recursive: true });
  await Bun.write(target, body);
  gzipped += gzipSync(body).length;
}
console.log(`console built into ${dist} (${(gzipped / 1024).toFixed(1)} KiB gzipped)`);
