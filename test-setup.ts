/**
 * Preloaded by `bun test` (bunfig.toml): the one place the test timeout is set. Bun ignores a
 * `[test] timeout` key in bunfig.toml, and `setDefaultTimeout` holds for one file only (called here, it
 * would cover the first test file and leave the rest, hooks included, at 5 s). So every test file gets
 * the call at its top as it is loaded, on its first line, which keeps line numbers in stack traces.
 * Generous, because many tests start real servers and child processes on a two-core machine.
 */
import { plugin } from "bun";

const TEST_TIMEOUT_MS = 30_000;

plugin({
  name: "one test timeout",
  setup(build) {
    build.onLoad({ filter: /\.test\.tsx?$/ }, async ({ path }) => {
      const source = await Bun.file(path).text();
      const prefix = `import { setDefaultTimeout as setTestTimeout } from "bun:test"; setTestTimeout(${TEST_TIMEOUT_MS}); `;
      return { contents: prefix + source, loader: path.endsWith("x") ? "tsx" : "ts" };
    });
  },
});
