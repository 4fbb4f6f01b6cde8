/**
 * The curl examples of a Markdown file, with what each promises. Every curl command in a ```bash or
 * ```sh block must carry its expected answer on the comment line above it, e.g.
 *
 *     # Health of the gateway → 200
 *     # Registered again at the same URL → 200 {"created": false}
 *
 * a status, optionally followed by JSON the response body must contain. A curl command without one is
 * an error, so an example cannot be added to the README without saying what it answers.
 */
import { parseShellCommands } from "./shell-commands.ts";

export interface CurlRequest {
  method: string;
  url: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body?: string;
}

export interface CurlExample {
  /** 1-based line of the command in the Markdown file. */
  line: number;
  /** The arguments after `curl`, exactly as a shell would pass them. */
  args: string[];
  request: CurlRequest;
  expected: { status: number; body?: unknown };
}

const FENCE = /^```(\w*)\s*$/;
const SHELL_LANGUAGES = new Set(["bash", "sh"]);
const EXPECTATION = /→\s*(\d{3})\b(.*)$/;

/** The ```bash and ```sh blocks, each with the Markdown line its first line is on. */
function shellBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    for (i = start; i < lines.length && lines[i]!.trim() !== "```"; i++);
    if (i >= lines.length) throw new Error(`line ${start}: code block is never closed`);
    if (SHELL_LANGUAGES.has(open[1]!)) blocks.push({ line: start + 1, text: lines.slice(start, i).join("\n") });
  }
  return blocks;
}

export function curlExamples(markdown: string): CurlExample[] {
  const examples: CurlExample[] = [];
  for (const block of shellBlocks(markdown)) {
    let commands: ReturnType<typeof parseShellCommands>;
    try {
      commands = parseShellCommands(block.text);
    } catch (error) {
      throw new Error(`shell block at line ${block.line}: ${(error as Error).message}`);
    }
    for (const command of commands) {
      if (command.words[0] !== "curl") continue;
      const line = block.line + command.line - 1;
      const args = command.words.slice(1);
      examples.push({ line, args, request: describeCurl(args, line), expected: expectation(command.comments, line) });
    }
  }
  return examples;
}

/**
 * The request curl sends for these arguments. Only the options the README uses are known; any other
 * is refused, so the description cannot silently differ from what curl does.
 */
function describeCurl(args: string[], line = 0): CurlRequest {
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`line ${line}: ${arg} needs a value`);
      return next;
    };
    if (arg === "-X" || arg === "--request") method = value();
    else if (arg === "-H" || arg === "--header") {
      const header = value();
      const colon = header.indexOf(":");
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (arg === "-d" || arg === "--data" || arg === "--data-raw") body = value();
    else if (arg === "-s" || arg === "--silent" || arg === "-i" || arg === "--include") continue;
    else if (arg.startsWith("-")) throw new Error(`line ${line}: curl option ${arg} is not understood by this test`);
    else if (url === undefined) url = arg;
    else throw new Error(`line ${line}: more than one URL`);
  }
  if (url === undefined) throw new Error(`line ${line}: curl without a URL`);
  // As curl does: -d makes a POST, and a form post unless a Content-Type is given.
  if (body !== undefined && headers["content-type"] === undefined)
    headers["content-type"] = "application/x-www-form-urlencoded";
  return {
    method: method ?? (body === undefined ? "GET" : "POST"),
    url,
    headers,
    ...(body === undefined ? {} : { body }),
  };
}

function expectation(comments: string[], line: number): CurlExample["expected"] {
  const match = comments.map((comment) => EXPECTATION.exec(comment)).findLast((m) => m !== null);
  if (!match) throw new Error(`line ${line}: curl example without "→ <status>" in the comment above it`);
  const rest = match[2]!.trim();
  if (!rest.startsWith("{")) return { status: Number(match[1]) };
  try {
    return { status: Number(match[1]), body: JSON.parse(rest) };
  } catch {
    throw new Error(`line ${line}: the expected body after the status is not JSON: ${rest}`);
  }
}
