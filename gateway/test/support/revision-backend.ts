/**
 * A backend that speaks exactly one MCP revision at a time, for the gateway's side of revision
 * negotiation: 2026-07-28 only (the v2 SDK's `createMcpHandler`, refusing 2025 traffic), or 2025 only
 * (the 1.x SDK, stateless, which knows no `server/discover`). It can be switched from one to the other
 * on the same URL, as when a backend is upgraded, and it records what reached it, so a test can see
 * which revision the gateway spoke.
 */
import { serve } from "@mcp-federation/mcp-http";
import { McpServer as LegacyMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  acceptedContent,
  createMcpHandler,
  inputRequired,
  inputResponse,
  McpServer,
} from "@modelcontextprotocol/server";
import type { Server } from "bun";
import { z } from "zod";
import { serveOnLegacySdk } from "./legacy-sdk-endpoint.ts";

export type Revision = "2026-07-28" | "2025";

/** One request as it reached the backend. */
export interface SeenRequest {
  method: string;
  /** The headers the 2026-07-28 revision defines, as sent. */
  protocolVersionHeader: string | null;
  mcpMethodHeader: string | null;
  mcpNameHeader: string | null;
  sessionIdHeader: string | null;
  /** The request's `_meta`, where the 2026-07-28 revision carries the protocol version and client. */
  meta: Record<string, unknown> | undefined;
  /** A continued round's answers and state (2026-07-28 input-required results). */
  inputResponses?: unknown;
  requestState?: unknown;
}

export interface RevisionBackend {
  url: string;
  /** Requests received, in order (notifications and answers left out). */
  seen: SeenRequest[];
  /** From now on, speak only this revision. */
  speak(revision: Revision): void;
  stop(): Promise<void>;
}

/**
 * Starts a backend whose tool `<toolName>` answers with the revision it was called in, e.g.
 * `"modernEcho: hi (2026-07-28)"`. In 2026-07-28, when `asks` is set, it also asks with input-required
 * results: `deploy` asks the client to confirm (an elicitation, and a state of its own) and answers
 * with the confirmation and the state it got back; `greet` asks a name (an elicitation), then the
 * client's model for a greeting of it (sampling) in a second round; `pester` asks again whatever the
 * answer; and the prompt `briefing` asks its topic first.
 */
export function startRevisionBackend(revision: Revision, toolName: string, { asks = false } = {}): RevisionBackend {
  let current = revision;
  const seen: SeenRequest[] = [];
  const modern = createMcpHandler(() => modernServer(toolName, asks), { legacy: "reject" });
  const createLegacy = () => legacyServer(toolName);

  const handle = async (request: Request): Promise<Response> => {
    if (request.method === "POST") await record(request, seen);
    return current === "2026-07-28" ? modern.fetch(request) : serveOnLegacySdk(request, createLegacy);
  };
  const server: Server<undefined> = serve(handle, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  return {
    url: `http://127.0.0.1:${server.port}`,
    seen,
    speak(next) {
      current = next;
    },
    async stop() {
      await server.stop(true);
    },
  };
}

async function record(request: Request, seen: SeenRequest[]): Promise<void> {
  const body = (await request
    .clone()
    .json()
    .catch(() => undefined)) as {
    method?: unknown;
    id?: unknown;
    params?: { _meta?: Record<string, unknown>; inputResponses?: unknown; requestState?: unknown };
  };
  if (typeof body?.method !== "string" || body.id === undefined) return;
  seen.push({
    method: body.method,
    protocolVersionHeader: request.headers.get("mcp-protocol-version"),
    mcpMethodHeader: request.headers.get("mcp-method"),
    mcpNameHeader: request.headers.get("mcp-name"),
    sessionIdHeader: request.headers.get("mcp-session-id"),
    meta: body.params?._meta,
    ...(body.params?.inputResponses === undefined ? {} : { inputResponses: body.params.inputResponses }),
    ...(body.params?.requestState === undefined ? {} : { requestState: body.params.requestState }),
  });
}

const Confirmation = z.object({ confirm: z.boolean() });

function modernServer(toolName: string, asks: boolean): McpServer {
  const server = new McpServer({ name: `${toolName}-backend`, version: "1.0.0" });
  server.registerTool(
    toolName,
    { description: "Echoes its text with the revision it was called in", inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: "text", text: `${toolName}: ${text} (2026-07-28)` }] }),
  );
  if (!asks) return server;
  server.registerTool(
    "deploy",
    { description: "Deploys to a target once the user confirms", inputSchema: z.object({ target: z.string() }) },
    async ({ target }, ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "confirm", Confirmation);
      if (answer === undefined) {
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({ message: `Deploy to ${target}?`, requestedSchema: Confirmation }),
          },
          requestState: `backend-state:${target}`,
        });
      }
      const state = ctx.mcpReq.requestState<string>();
      const outcome = answer.confirm ? "deployed to" : "kept away from";
      return { content: [{ type: "text", text: `${outcome} ${target} (state ${state})` }] };
    },
  );
  addTwoRoundTools(server);
  return server;
}

const Name = z.object({ name: z.string() });

function addTwoRoundTools(server: McpServer): void {
  server.registerTool(
    "greet",
    { description: "Asks a name, then the client's model for a greeting of it" },
    async (ctx) => {
      const responses = ctx.mcpReq.inputResponses;
      const state = ctx.mcpReq.requestState<string>();
      if (state?.startsWith("greet:2:")) {
        const view = inputResponse(responses, "greeting");
        const content = view.kind === "sampling" ? view.result.content : undefined;
        const text = content && !Array.isArray(content) && content.type === "text" ? content.text : "?";
        return { content: [{ type: "text", text: `${text} (for ${state.slice("greet:2:".length)})` }] };
      }
      const answer = acceptedContent(responses, "name", Name);
      if (state === "greet:1" && answer !== undefined)
        return inputRequired({
          inputRequests: {
            greeting: inputRequired.createMessage({
              messages: [{ role: "user", content: { type: "text", text: `A greeting for ${answer.name}?` } }],
              maxTokens: 20,
            }),
          },
          requestState: `greet:2:${answer.name}`,
        });
      return inputRequired({
        inputRequests: { name: inputRequired.elicit({ message: "What is your name?", requestedSchema: Name }) },
        requestState: "greet:1",
      });
    },
  );
  server.registerTool("pester", { description: "Asks for a name, and again, whatever the answer" }, async () =>
    inputRequired({
      inputRequests: { name: inputRequired.elicit({ message: "Your name, again?", requestedSchema: Name }) },
    }),
  );
  server.registerPrompt("briefing", { description: "A briefing on a topic the client names" }, async (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, "topic", z.object({ topic: z.string() }));
    if (answer === undefined)
      return inputRequired({
        inputRequests: {
          topic: inputRequired.elicit({
            message: "Which topic?",
            requestedSchema: z.object({ topic: z.string() }),
          }),
        },
      });
    return { messages: [{ role: "user", content: { type: "text", text: `Brief me on ${answer.topic}.` } }] };
  });
}

function legacyServer(toolName: string): LegacyMcpServer {
  const server = new LegacyMcpServer({ name: `${toolName}-backend`, version: "1.0.0" });
  server.registerTool(
    toolName,
    { description: "Echoes its text with the revision it was called in", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text: `${toolName}: ${text} (2025)` }] }),
  );
  return server;
}
