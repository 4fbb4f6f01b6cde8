/**
 * A 2026-07-28-only backend on the v2 SDK (`createMcpHandler`, 2025 traffic refused) that tells its
 * `subscriptions/listen` streams of changes outside any request, as a plain server does: a tool added
 * at run time (tools list_changed) and a resource that changed (resources updated). It records the
 * filter of every listen that reached it, and counts the streams open now.
 */
import { serve } from "@mcp-federation/mcp-http";
import { createMcpHandler, InMemoryServerEventBus, McpServer } from "@modelcontextprotocol/server";
import type { Server } from "bun";

export interface ListeningBackend {
  url: string;
  /** The `params.notifications` of every listen received, in order. */
  listens: Record<string, unknown>[];
  /** Listen streams open now (each holds one subscription to the backend's event bus). */
  readonly open: number;
  /** Adds a tool and tells the listen streams that the tool list changed. */
  addTool(name: string): void;
  /** Tells the listen streams that subscribed to `uri` that it changed. */
  resourceChanged(uri: string): void;
  /** Breaks off every listen stream open now, as a proxy cutting connections would. */
  cutStreams(): void;
  stop(): Promise<void>;
}

/** Starts the backend with tool `<name>_first` and the resources `doc://<name>/readme` and `doc://<name>/changelog`; `lists` off declares no list changes. */
export function startListeningBackend(name: string, { lists = true } = {}): ListeningBackend {
  const tools = [`${name}_first`];
  const listens: Record<string, unknown>[] = [];
  const bus = new InMemoryServerEventBus();
  const cuts = new Set<() => void>();
  const handler = createMcpHandler(() => createServer(name, tools, lists), { legacy: "reject", bus });
  const handle = async (request: Request): Promise<Response> => {
    if (request.method === "POST") {
      const body = (await request
        .clone()
        .json()
        .catch(() => undefined)) as { method?: unknown; params?: { notifications?: Record<string, unknown> } };
      if (body?.method === "subscriptions/listen") {
        listens.push(body.params?.notifications ?? {});
        return cuttable(await handler.fetch(request));
      }
    }
    return handler.fetch(request);
  };
  /** The listen's stream, with a way to end it early (the SDK's own stream is left to be cancelled). */
  const cuttable = (response: Response): Response => {
    const body = response.body;
    if (!body) return response;
    const reader = body.getReader();
    const cut = () => {
      cuts.delete(cut);
      reader.cancel().catch(() => {});
      try {
        controller.close();
      } catch {
        // Already closed.
      }
    };
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const readable = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        cuts.add(cut);
      },
      async pull(c) {
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (!cuts.has(cut)) return;
        if (chunk.done) cut();
        else c.enqueue(chunk.value);
      },
      cancel: () => cut(),
    });
    return new Response(readable, response);
  };
  const server: Server<undefined> = serve(handle, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  return {
    url: `http://127.0.0.1:${server.port}`,
    listens,
    get open() {
      return bus.listenerCount;
    },
    addTool(tool) {
      tools.push(tool);
      handler.notify.toolsChanged();
    },
    resourceChanged(uri) {
      handler.notify.resourceUpdated(uri);
    },
    cutStreams() {
      for (const cut of [...cuts]) cut();
    },
    async stop() {
      await handler.close();
      await server.stop(true);
    },
  };
}

function createServer(name: string, tools: readonly string[], lists: boolean): McpServer {
  const server = new McpServer(
    { name, version: "1.0.0" },
    {
      capabilities: lists
        ? { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } }
        : { tools: { listChanged: false }, resources: { listChanged: false } },
    },
  );
  for (const tool of tools)
    server.registerTool(tool, { description: `the ${tool} tool` }, async () => ({
      content: [{ type: "text", text: tool }],
    }));
  for (const doc of ["readme", "changelog"])
    server.registerResource(doc, `doc://${name}/${doc}`, {}, async (uri) => ({
      contents: [{ uri: uri.href, text: `${doc} of ${name}` }],
    }));
  return server;
}
