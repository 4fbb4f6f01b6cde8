/**
 * A backend that keeps sessions (one SDK transport per `Mcp-Session-Id`), as third-party MCP servers
 * often do, and as an SDK server must to send requests to its client and get their answers.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

export interface StatefulFixtureBackend {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  url: string;
  /** `streams` and `closedSessions` name sessions whose GET stream was asked for, and that were ended with DELETE. */
  seen: { initializations: number; closed: number; streams: string[]; closedSessions: string[] };
  /** When `forgetsAlways` is set, the backend has forgotten every session by the time a request arrives. */
  behaviour: { forgetsAlways: boolean };
  forgetSessions(): void;
  /** Ends every session as a restarted backend would: their streams close and their ids are unknown. */
  closeSessions(): Promise<void>;
  stop(): Promise<void>;
}

export function startStatefulFixtureBackend(createServer: () => McpServer): StatefulFixtureBackend {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const seen = { initializations: 0, closed: 0, streams: [] as string[], closedSessions: [] as string[] };
  const behaviour = { forgetsAlways: false };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const sessionId = request.headers.get("mcp-session-id");
      if (sessionId !== null) {
        if (behaviour.forgetsAlways) sessions.clear();
        const transport = sessions.get(sessionId);
        if (!transport)
          return Response.json(
            { jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null },
            { status: 404 },
          );
        if (request.method === "GET") seen.streams.push(sessionId);
        return transport.handleRequest(request);
      }
      const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => {
          seen.initializations++;
          sessions.set(id, transport);
        },
        onsessionclosed: (id) => {
          seen.closed++;
          seen.closedSessions.push(id);
          sessions.delete(id);
        },
      });
      await createServer().connect(transport);
      return transport.handleRequest(request);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/mcp`,
    seen,
    behaviour,
    forgetSessions: () => sessions.clear(),
    async closeSessions() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((t) => t.close()));
    },
    async stop() {
      await server.stop(true);
      await Promise.all([...sessions.values()].map((t) => t.close()));
    },
  };
}
