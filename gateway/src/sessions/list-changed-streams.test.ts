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

test("a notification for one session goes only to that session's streams", async () => {
  const streams = createListChangedStreams();
  const ended = new AbortController();
  const mine = streams.open(ended.signal, "mine").body!.getReader();
  const theirs = streams.open(ended.signal, "theirs").body!.getReader();
  streams.notify("mine", { method: "notifications/resources/updated", params: { uri: "note://a" } });
  streams.notify("theirs", { method: "notifications/message", params: { level: "info", data: "last" } });
  const text = await readUntil(mine, "resources/updated");
  expect(text).toContain('"params":{"uri":"note://a"}');
  const other = await readUntil(theirs, "notifications/message");
  expect(other).not.toContain("resources/updated");
  streams.close();
});
