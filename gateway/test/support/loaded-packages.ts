/**
 * Run as its own process: builds a gateway from the given environment, prints which of the packages
 * named on the command line its module graph holds (as JSON), and closes it. A process of its own, as
 * the test runner's graph already holds what other test files imported.
 */
import { parseConfig } from "../../src/config.ts";
import { createGateway } from "../../src/gateway.ts";
import { createLogger } from "../../src/logger.ts";

const packages = process.argv.slice(2);
const gateway = await createGateway(parseConfig(process.env), {
  log: createLogger({ level: "error", json: true, write: () => {} }),
});
const loaded = Object.keys(require.cache);
const held = packages.filter((name) => loaded.some((path) => path.includes(`/node_modules/${name}/`)));
await gateway.close();
console.log(JSON.stringify(held));
