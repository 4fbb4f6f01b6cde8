/**
 * The SDK client over a process of our own spawning, for discovery at registration. The SDK's own
 * StdioClientTransport would do, but it spawns the server in the gateway's process group and ends only
 * that process, so what `npx` or a shell script starts would outlive it; our channel kills the group.
 */
import type { Client, JSONRPCMessage, Transport } from "@modelcontextprotocol/client";
import { OversizeLine, type StdioChannel, type StdioLaunch, spawnChannel } from "./stdio-channel.ts";

/** Largest message read at discovery: a tool list, however long, but not an endless line. */
const MAX_DISCOVERY_LINE_BYTES = 16 * 1024 * 1024;
/** Last stderr lines kept to explain a process that dies before it answers. */
const STDERR_KEPT = 3;

/** Connects `client` to a freshly spawned process; closing the client kills the process group. */
export async function connectStdioClient(client: Client, launch: StdioLaunch, timeoutMs: number): Promise<Client> {
  const stderr: string[] = [];
  let channel: StdioChannel | undefined;
  const transport: Transport = {
    async start() {
      const started = spawnChannel(launch, {
        maxLineBytes: MAX_DISCOVERY_LINE_BYTES,
        onstderr: (line) => {
          stderr.push(line);
          if (stderr.length > STDERR_KEPT) stderr.shift();
        },
      });
      channel = started;
      started.subscribe((message) => {
        if (message instanceof OversizeLine)
          transport.onerror?.(new Error("the service sent a message larger than 16 MiB"));
        else transport.onmessage?.(message as JSONRPCMessage);
      });
      void started.exited.then(() => transport.onclose?.());
    },
    async send(message) {
      if (channel?.send(message)) return;
      // A command that could not be spawned has no pid; why comes a moment later, as the process's error.
      if (channel?.pid === -1) await channel.exited;
      throw new Error(exitReason());
    },
    async close() {
      await channel?.kill();
    },
  };
  const exitReason = () => {
    const said = stderr.length > 0 ? `; it said: ${stderr.join(" | ")}` : "";
    return `${channel?.exitReason ?? "the process is not running"}${said}`;
  };
  try {
    await client.connect(transport, { timeout: timeoutMs });
    return client;
  } catch (error) {
    const died = channel?.exitReason !== undefined ? new Error(exitReason()) : undefined;
    await client.close().catch(() => {});
    throw died ?? error;
  }
}
