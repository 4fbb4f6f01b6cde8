/**
 * Reads the `data` of server-sent events from a byte stream, whatever the chunk boundaries. Only what
 * an MCP answer needs is kept: event names, ids and retry hints are skipped, since the gateway never
 * resumes a stream.
 */

/**
 * A parser that takes the stream's chunks in order. It returns false, and should be fed no more, once
 * the event being assembled exceeds `maxEventLength` characters (about bytes): an endless event would
 * otherwise grow in memory until the stream ends.
 */
export function createEventDataParser(
  maxEventLength: number,
  ondata: (data: string) => void,
): (chunk: Uint8Array) => boolean {
  const decoder = new TextDecoder();
  let pending = "";
  let data: string[] = [];
  let dataLength = 0;
  return (chunk) => {
    const lines = (pending + decoder.decode(chunk, { stream: true })).split(/\r\n|\r|\n/);
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("data:")) {
        const value = line.slice(line.startsWith("data: ") ? 6 : 5);
        data.push(value);
        dataLength += value.length;
      } else if (line === "" && data.length > 0) {
        // An event that arrived whole in one chunk is measured here, or it would never be.
        if (dataLength > maxEventLength) return false;
        const event = data.join("\n");
        data = [];
        dataLength = 0;
        ondata(event);
      }
    }
    return pending.length + dataLength <= maxEventLength;
  };
}
