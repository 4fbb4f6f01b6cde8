/**
 * Splits a POSIX shell snippet, as the README shows them, into commands and their words, so tests can
 * run the README's commands with exactly the arguments a shell would pass. It understands what such
 * snippets use (quotes, backslash-newline continuations, comments, `&&`, `||`, `|` and `;`) and
 * rejects expansions and redirections rather than passing them on literally.
 */

export interface ShellCommand {
  /** The command's words after quote removal, e.g. `["curl", "-H", "Accept: application/json"]`. */
  words: string[];
  /** 1-based line of the command's first word. */
  line: number;
  /** The comment lines directly above the command (no blank line between), without the `#`. */
  comments: string[];
}

const UNSUPPORTED = new Set(["$", "`", "<", ">", "(", ")"]);
const SEPARATORS = new Set([";", "|", "&"]);

/** Throws on syntax it does not support, naming the line. */
export function parseShellCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let wordLine = 1;
  let comments: string[] = [];
  let commandLine = 1;
  let line = 1;
  let lineBlank = true;

  const fail = (message: string): never => {
    throw new Error(`line ${line}: ${message}`);
  };
  const append = (text: string) => {
    if (word === undefined) wordLine = line;
    word = (word ?? "") + text;
    lineBlank = false;
  };
  const endWord = () => {
    if (word === undefined) return;
    if (words.length === 0) commandLine = wordLine;
    words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length === 0) return;
    commands.push({ words, line: commandLine, comments });
    words = [];
    comments = [];
  };

  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "\\") {
      const next = script[++i];
      if (next === undefined) fail("backslash at the end of the text");
      if (next === "\n") line++;
      else append(next!);
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) fail("unterminated single quote");
      const quoted = script.slice(i + 1, end);
      append(quoted);
      line += quoted.split("\n").length - 1;
      i = end;
    } else if (c === '"') {
      let quoted = "";
      for (i++; script[i] !== '"'; i++) {
        const q = script[i];
        if (q === undefined) fail("unterminated double quote");
        if (q === "$" || q === "`") fail(`expansion "${q}" is not supported`);
        if (q === "\\" && script[i + 1] === "\n") {
          i++;
          line++;
        } else if (q === "\\" && ["$", "`", '"', "\\"].includes(script[i + 1] ?? "")) {
          quoted += script[++i];
        } else {
          if (q === "\n") line++;
          quoted += q;
        }
      }
      append(quoted);
    } else if (c === "#" && word === undefined) {
      const end = script.indexOf("\n", i);
      const text = script.slice(i + 1, end < 0 ? script.length : end).trim();
      if (words.length === 0) comments.push(text);
      lineBlank = false;
      i = (end < 0 ? script.length : end) - 1;
    } else if (c === "\n") {
      endCommand();
      // A blank line ends the comment block above: it belongs to no command.
      if (lineBlank) comments = [];
      line++;
      lineBlank = true;
    } else if (c === " " || c === "\t") {
      endWord();
    } else if (SEPARATORS.has(c)) {
      endCommand();
      if (script[i + 1] === c && c !== ";") i++;
      lineBlank = false;
    } else if (UNSUPPORTED.has(c)) {
      fail(`"${c}" is not supported`);
    } else {
      append(c);
    }
  }
  endCommand();
  return commands;
}
