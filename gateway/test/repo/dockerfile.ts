/**
 * Just enough of the Dockerfile grammar to check our own Dockerfiles in tests: comment lines go, lines
 * ending in a backslash are joined, and each instruction keeps its arguments as written.
 */
export interface DockerInstruction {
  /** Upper-cased keyword, e.g. `COPY`. */
  keyword: string;
  /** Everything after the keyword, continuation lines joined by a space. */
  args: string;
}

export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // Docker drops comment lines even in the middle of a continued instruction.
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (full === "") continue;
    const [keyword = "", ...rest] = full.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(" ") });
  }
  return instructions;
}

/** The argument list of an exec-form (`["bun", "run", ...]`) instruction; undefined for shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : undefined;
}

/** The sources of a COPY or ADD, without its `--flag=value` options. */
export function copySources(args: string): string[] {
  const words = execForm(args) ?? args.split(/\s+/);
  return words.filter((w) => !w.startsWith("--")).slice(0, -1);
}

/**
 * Whether `.dockerignore` keeps `path` (relative to the build context) out of the context: the last
 * pattern matching the path or one of its parent folders decides, `!` patterns bring a path back.
 */
export function isDockerIgnored(path: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const parts = path.split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const glob = new Bun.Glob((negated ? raw.slice(1) : raw).replace(/\/$/, ""));
    if (candidates.some((candidate) => glob.match(candidate))) ignored = !negated;
  }
  return ignored;
}
