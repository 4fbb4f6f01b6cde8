import { expect, test } from "bun:test";
import { serviceRecord } from "../../test/support/service-records.ts";
import { buildSnapshot } from "../catalog/catalog-snapshot.ts";
import { createListChangedStreams } from "./list-changed-streams.ts";

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, needle: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(needle)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended before "${needle}"; got: ${text}`);
    text += decoder.decode(value);
  }
  return text;
}

const service = (tools: string[]) => serviceRecord("s", tools);

test("quiet streams get keep-alive comments, changed lists a notification, and close() ends them", async () => {
  const streams = createListChangedStreams(10);
  const aborted = new AbortController();
  const reader = streams.open(aborted.signal).body!.getReader();
  await readUntil(reader, ": keep-alive");

  streams.announce(buildSnapshot([service(["a", "b"])], 2), buildSnapshot([service(["a"])], 1));
  const text = await readUntil(reader, "list_changed");
  expect(text).toContain('"method":"notifications/tools/list_changed"');
  expect(text).not.toContain("prompts/list_changed");

  streams.close();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
});
