/**
 * Preloaded by `bun test` (bunfig.toml): the one place the test timeout is set. Bun ignores a
 * `[test] timeout` key in bunfig.toml, so it is set here. Generous, because many tests start real
 * servers and child processes on a two-core machine.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
