/** Reads a child's stdout line by line; `waitFor` skips lines until one matches. */
export function createLineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return async function waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const match = pattern.exec(line);
        if (match) return match;
      }
      const { done, value } = await reader.read();
      if (done) throw new Error(`output ended before a line matched ${pattern}`);
      buffer += decoder.decode(value, { stream: true });
    }
  };
}
