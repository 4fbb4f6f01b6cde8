/**
 * Section 2: tools/list over a large registry, served by the gateway from its in-memory catalog versus
 * the naive baseline that reads the database on every request. One client, sequential requests.
 *
 * The baseline sends the whole list in one answer, so the main comparison does too (a gateway whose
 * page holds every tool), measured as fetch-based clients use it (they accept gzip) and with compression
 * refused. A gateway with the default page size is measured as well, listing everything by following
 * the cursors, which is what its clients have to do.
 */
import { postToolsList, toolPageOf } from "./bench-gateway.ts";
import { interleavedRounds, type LatencySummary, measureRound, medianOfRounds, medianRatio } from "./stats.ts";

export interface ToolListFigures {
  tools: number;
  /** Size of the whole list's answer without compression. */
  answerBytes: number;
  gateway: LatencySummary;
  gatewayIdentity: LatencySummary;
  /** One operation is a complete listing through every page. */
  gatewayPaged: LatencySummary;
  pages: number;
  baseline: LatencySummary;
  /** Ops/s over the baseline's: the median over rounds of each round's ratio. */
  speedup: number;
  speedupIdentity: number;
  speedupPaged: number;
}

export interface ToolListBenchOptions {
  /** A gateway whose single page holds every tool, and one with the default page size. */
  gatewayUrl: string;
  pagedGatewayUrl: string;
  baselineUrl: string;
  expectedTools: number;
  rounds: number;
  gatewayRequests: number;
  baselineRequests: number;
}

/** What Bun's fetch sends by default, as browsers and Node's fetch do. */
const FETCH_ENCODINGS = "gzip, deflate, br, zstd";

export async function benchToolList(options: ToolListBenchOptions): Promise<ToolListFigures> {
  const { answerBytes, pages } = await expectSameList(options);
  const round = (requests: number, operation: () => Promise<unknown>) => () => measureRound(1, requests, operation);
  const [gateway = [], gatewayIdentity = [], gatewayPaged = [], baseline = []] = await interleavedRounds(
    options.rounds,
    [
      round(options.gatewayRequests, () => listOnce(options.gatewayUrl, FETCH_ENCODINGS)),
      round(options.gatewayRequests, () => listOnce(options.gatewayUrl, "identity")),
      round(Math.max(1, Math.round(options.gatewayRequests / pages)), () => listAllPages(options.pagedGatewayUrl)),
      round(options.baselineRequests, () => listOnce(options.baselineUrl, FETCH_ENCODINGS)),
    ],
  );
  return {
    tools: options.expectedTools,
    answerBytes,
    gateway: medianOfRounds(gateway),
    gatewayIdentity: medianOfRounds(gatewayIdentity),
    gatewayPaged: medianOfRounds(gatewayPaged),
    pages,
    baseline: medianOfRounds(baseline),
    speedup: medianRatio(gateway, baseline),
    speedupIdentity: medianRatio(gatewayIdentity, baseline),
    speedupPaged: medianRatio(gatewayPaged, baseline),
  };
}

/** Reads the whole answer, as a client must before it can use it, without timing a client's parsing. */
async function listOnce(url: string, acceptEncoding: string, cursor?: string): Promise<string> {
  const response = await postToolsList(url, 1, { acceptEncoding, cursor });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`tools/list at ${url} answered ${response.status}`);
  return body;
}

/**
 * Follows the cursors to the end. The cursor is read from the answer's end rather than by parsing a
 * page of a thousand tools, which would time the client more than the server.
 */
async function listAllPages(url: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const body = await listOnce(url, FETCH_ENCODINGS, cursor);
    cursor = /,"nextCursor":"([\w-]+)"\}/.exec(body.slice(-500))?.[1];
  } while (cursor !== undefined);
}

/**
 * All contenders must serve the full and identical list, or their speeds mean nothing.
 * @returns the size of the uncompressed whole-list answer, and the number of pages of the paged gateway
 */
async function expectSameList(options: ToolListBenchOptions): Promise<{ answerBytes: number; pages: number }> {
  const [gzip = "", identity = "", baseline = ""] = await Promise.all([
    listOnce(options.gatewayUrl, FETCH_ENCODINGS),
    listOnce(options.gatewayUrl, "identity"),
    listOnce(options.baselineUrl, FETCH_ENCODINGS),
  ]);
  const expected = JSON.stringify(toolPageOf(baseline).names);
  const paged: string[] = [];
  let pages = 0;
  for (let cursor: string | undefined; pages === 0 || cursor !== undefined; pages++) {
    const page = toolPageOf(await listOnce(options.pagedGatewayUrl, FETCH_ENCODINGS, cursor));
    paged.push(...page.names);
    cursor = page.nextCursor;
  }
  const lists = [gzip, identity].map((body) => JSON.stringify(toolPageOf(body).names)).concat(JSON.stringify(paged));
  if (toolPageOf(baseline).names.length !== options.expectedTools)
    throw new Error(`the baseline lists the wrong number of tools`);
  if (lists.some((list) => list !== expected)) throw new Error("the contenders list different tools");
  return { answerBytes: new TextEncoder().encode(identity).length, pages };
}
