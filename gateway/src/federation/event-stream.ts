/**
 * Reads the `data` of server-sent events from a byte stream, whatever the chunk boundaries. Only what
 * an MCP answer needs is kept: event names, ids and retry hints are skipped, since the gateway never
 * resumes a stream.
 */
export function createEventDataParser(ondata: (data: string) => void): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  let pending = "";
  let data: string[] = [];
  return (chunk) => {
    const lines = (pending + decoder.decode(chunk, { stream: true })).split(/\r\n|\r|\n/);
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      else if (line === "" && data.length > 0) {
        const event = data.join("\n");
        data = [];
        ondata(event);
      }
    }
  };
}
