import { describe, expect, test } from "bun:test";
import { parseShellCommands } from "./shell-commands.ts";

describe("parseShellCommands", () => {
  test("joins continuation lines and removes quotes as a shell does", () => {
    const [command] = parseShellCommands(
      `curl -X POST http://localhost:3001/mcp \\\n  -H "Authorization: Bearer t" \\\n  -d '{"a": 1}'`,
    );
    expect(command).toEqual({
      words: ["curl", "-X", "POST", "http://localhost:3001/mcp", "-H", "Authorization: Bearer t", "-d", '{"a": 1}'],
      line: 1,
      comments: [],
    });
  });

  test("keeps a single-quoted argument that spans lines, and counts its lines", () => {
    const commands = parseShellCommands(`curl -d '{\n  "id": 1\n}'\necho "a \\"b\\" c"`);
    expect(commands.map((c) => [c.line, c.words])).toEqual([
      [1, ["curl", "-d", '{\n  "id": 1\n}']],
      [4, ["echo", 'a "b" c']],
    ]);
  });

  test("gives each command the comment lines directly above it", () => {
    const commands = parseShellCommands(`# orphan\n\n# first\n# → 200\nls\n# second\ncd a && ls b; pwd`);
    expect(commands.map((c) => [c.words.join(" "), c.comments])).toEqual([
      ["ls", ["first", "→ 200"]],
      ["cd a", ["second"]],
      ["ls b", []],
      ["pwd", []],
    ]);
  });

  test("refuses expansions and redirections instead of passing them on", () => {
    expect(() => parseShellCommands(`curl -H "Authorization: Bearer $TOKEN" x`)).toThrow(/line 1: expansion "\$"/);
    expect(() => parseShellCommands(`ls\ncurl x > out.json`)).toThrow(/line 2: ">"/);
    expect(() => parseShellCommands(`curl -d '{`)).toThrow(/unterminated single quote/);
  });
});
