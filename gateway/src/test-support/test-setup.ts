/**
 * Preloaded by `bun test` (see bunfig.toml). Integration tests start real servers and databases, which
 * can take longer than Bun's 5 s default on a busy machine; this is a ceiling for hangs, not a speed
 * assertion.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(30_000);
