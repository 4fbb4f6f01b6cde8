/**
 * A backend with the tools the official conformance suite calls (`test_simple_text`,
 * `test_input_required_result_*`, ...), written from the suite's scenario descriptions, so that the
 * suite run through the gateway exercises what the gateway passes on (content of every kind, tool
 * errors, progress, logging, input-required rounds) rather than failing for want of the tool. It serves
 * both revisions from one `/mcp` on the v2 SDK, as our services do; the gateway speaks 2026-07-28 to it.
 */
import { createMcpEndpoint, serve } from "@mcp-federation/mcp-http";
import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  completable,
  createRequestStateCodec,
  fromJsonSchema,
  InMemoryServerEventBus,
  type InputRequest,
  inputRequired,
  inputResponse,
  McpServer,
  type PromptMessage,
  ResourceTemplate,
  type ServerContext,
  type ServerEventBus,
} from "@modelcontextprotocol/server";
import type { Server } from "bun";
import { z } from "zod";

/** A 1x1 PNG, for the image content the suite expects. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/** A WAV file of no samples: the smallest valid audio. */
const WAV = (() => {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(0, 40);
  return header.toString("base64");
})();

/** A schema with the 2020-12 keywords the suite checks a tool listing keeps ($defs, $anchor, allOf, if/then/else). */
const SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: {
      $anchor: "addressDef",
      type: "object",
      properties: { street: { type: "string" }, city: { type: "string" } },
    },
  },
  properties: {
    name: { type: "string" },
    address: { $ref: "#/$defs/address" },
    contactMethod: { type: "string", enum: ["phone", "email"] },
    phone: { type: "string" },
    email: { type: "string" },
  },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, never awaited.
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
};

// The backend's own state is signed, so that a state the client altered is refused (the suite's
// tampered-state scenario); every tool's state goes through it, as the verify hook checks them all.
const states = createRequestStateCodec<string>({ key: "conformance-backend-state-key-of-32-bytes+" });

const text = (value: string): CallToolResult => ({ content: [{ type: "text", text: value }] });

const elicitName = (message: string, field = "name") =>
  inputRequired.elicit({
    message,
    requestedSchema: { type: "object", properties: { [field]: { type: "string" } }, required: [field] },
  });

const sample = (prompt: string, maxTokens: number) =>
  inputRequired.createMessage({ messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens });

/** The text a sampling answer carried, or undefined. */
function sampledText(responses: Record<string, unknown> | undefined, key: string): string | undefined {
  const view = inputResponse(responses, key);
  if (view.kind !== "sampling") return undefined;
  const content = view.result.content as { type?: string; text?: string } | { type?: string; text?: string }[];
  const first = Array.isArray(content) ? content[0] : content;
  return first?.type === "text" ? first.text : undefined;
}

function rootsOf(responses: Record<string, unknown> | undefined, key: string): string[] | undefined {
  const view = inputResponse(responses, key);
  return view.kind === "roots" ? view.roots.map((root) => root.uri) : undefined;
}

async function ask(inputRequests: Record<string, InputRequest>, state?: string) {
  return inputRequired({ inputRequests, ...(state === undefined ? {} : { requestState: await states.mint(state) }) });
}

/**
 * What the suite's list-mutating hooks (`test_trigger_tool_change`, `test_trigger_prompt_change`) have
 * toggled: each call adds its extra tool or prompt, or takes it away again, and tells the listen streams.
 */
const mutated = { tool: false, prompt: false };

function createConformanceServer(bus: ServerEventBus): McpServer {
  const server = new McpServer(
    { name: "conformance-backend", version: "1.0.0" },
    { capabilities: { logging: {}, resources: { subscribe: true } }, requestState: { verify: states.verify } },
  );
  addResourcesAndPrompts(server);
  const tool = (name: string, handler: (ctx: ServerContext) => Promise<CallToolResult | object>) =>
    server.registerTool(name, { description: `The conformance suite's ${name}` }, handler as never);

  tool("test_simple_text", async () => text("This is a simple text response for testing."));
  tool("test_trigger_tool_change", async () => {
    mutated.tool = !mutated.tool;
    bus.publish({ kind: "tools_list_changed" });
    return text(mutated.tool ? "The tool list gained test_dynamic_tool." : "The tool list lost test_dynamic_tool.");
  });
  if (mutated.tool) tool("test_dynamic_tool", async () => text("A tool the list gained at run time."));
  tool("test_trigger_prompt_change", async () => {
    mutated.prompt = !mutated.prompt;
    bus.publish({ kind: "prompts_list_changed" });
    return text(
      mutated.prompt ? "The prompt list gained test_dynamic_prompt." : "The prompt list lost test_dynamic_prompt.",
    );
  });
  if (mutated.prompt)
    server.registerPrompt("test_dynamic_prompt", { description: "A prompt the list gained at run time" }, async () => ({
      messages: [{ role: "user", content: { type: "text", text: "Added at run time." } }],
    }));
  tool("test_image_content", async () => ({ content: [{ type: "image", data: PNG, mimeType: "image/png" }] }));
  tool("test_audio_content", async () => ({ content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }] }));
  tool("test_embedded_resource", async () => ({
    content: [
      {
        type: "resource",
        resource: {
          uri: "test://embedded-resource",
          mimeType: "text/plain",
          text: "This is an embedded resource content.",
        },
      },
    ],
  }));
  tool("test_multiple_content_types", async () => ({
    content: [
      { type: "text", text: "Multiple content types test:" },
      { type: "image", data: PNG, mimeType: "image/png" },
      {
        type: "resource",
        resource: {
          uri: "test://mixed-content-resource",
          mimeType: "application/json",
          text: JSON.stringify({ test: "data", value: 123 }),
        },
      },
    ],
  }));
  tool("test_error_handling", async () => ({
    isError: true,
    content: [{ type: "text", text: "This tool intentionally returns an error for testing" }],
  }));
  tool("test_tool_with_logging", async (ctx) => {
    for (const [step, message] of [
      "Tool execution started",
      "Tool processing data",
      "Tool execution completed",
    ].entries()) {
      if (step > 0) await Bun.sleep(50);
      await ctx.mcpReq.log("info", message);
    }
    return text("Tool with logging executed successfully");
  });
  tool("test_tool_with_progress", async (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (const [step, progress] of [0, 50, 100].entries()) {
      if (step > 0) await Bun.sleep(50);
      if (progressToken !== undefined)
        await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken, progress, total: 100 } });
    }
    return text("Tool with progress executed successfully");
  });

  server.registerTool(
    "json_schema_2020_12_tool",
    { description: "Tool with JSON Schema 2020-12 features", inputSchema: fromJsonSchema(SCHEMA_2020_12) },
    async () => text("The schema came through."),
  );

  addAskingTools(server);
  tool("test_input_required_result_elicitation", async (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, "user_name", z.object({ name: z.string() }));
    if (answer === undefined) return ask({ user_name: elicitName("What is your name?") });
    return text(`Hello, ${answer.name}!`);
  });
  tool("test_input_required_result_sampling", async (ctx) => {
    const answer = sampledText(ctx.mcpReq.inputResponses, "capital_question");
    if (answer === undefined) return ask({ capital_question: sample("What is the capital of France?", 100) });
    return text(`The model answered: ${answer}`);
  });
  tool("test_input_required_result_list_roots", async (ctx) => {
    const roots = rootsOf(ctx.mcpReq.inputResponses, "client_roots");
    if (roots === undefined) return ask({ client_roots: inputRequired.listRoots() });
    return text(`The client's roots: ${roots.join(", ") || "none"}`);
  });
  tool("test_input_required_result_request_state", async (ctx) => {
    const confirmed = acceptedContent(ctx.mcpReq.inputResponses, "confirm", z.object({ ok: z.boolean() }));
    const state = ctx.mcpReq.requestState<string>();
    if (confirmed === undefined || state !== "awaiting-confirmation") {
      const confirm = inputRequired.elicit({
        message: "Please confirm",
        requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
      });
      return ask({ confirm }, "awaiting-confirmation");
    }
    return text(`state-ok: confirmed ${confirmed.ok}`);
  });
  tool("test_input_required_result_multiple_inputs", async (ctx) => {
    const responses = ctx.mcpReq.inputResponses;
    const name = acceptedContent(responses, "user_name", z.object({ name: z.string() }));
    const greeting = sampledText(responses, "greeting");
    const roots = rootsOf(responses, "client_roots");
    if (name === undefined || greeting === undefined || roots === undefined) {
      return ask(
        {
          user_name: elicitName("What is your name?"),
          greeting: sample("Generate a greeting", 50),
          client_roots: inputRequired.listRoots(),
        },
        "awaiting-all-three",
      );
    }
    return text(`${greeting}, ${name.name}; roots: ${roots.join(", ") || "none"}`);
  });
  tool("test_input_required_result_multi_round", async (ctx) => {
    const responses = ctx.mcpReq.inputResponses;
    const state = ctx.mcpReq.requestState<string>();
    const color = acceptedContent(responses, "step2", z.object({ color: z.string() }));
    if (state?.startsWith("round-2:") && color !== undefined)
      return text(`${state.slice("round-2:".length)} likes ${color.color}`);
    const name = acceptedContent(responses, "step1", z.object({ name: z.string() }));
    if (state === "round-1" && name !== undefined)
      return ask({ step2: elicitName("Step 2: What is your favorite color?", "color") }, `round-2:${name.name}`);
    return ask({ step1: elicitName("Step 1: What is your name?") }, "round-1");
  });
  tool("test_input_required_result_tampered_state", async (ctx) => {
    if (ctx.mcpReq.requestState<string>() === "untampered") return text("The state came back as it was sent.");
    return ask({ confirm: elicitName("Confirm to continue", "confirm") }, "untampered");
  });
  tool("test_input_required_result_capabilities", async (ctx) => {
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const declared = (envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? {}) as Record<string, unknown>;
    const requests: Record<string, InputRequest> = {};
    if (declared.sampling) requests.question = sample("What is the capital of France?", 100);
    if (declared.elicitation) requests.user_name = elicitName("What is your name?");
    if (Object.keys(requests).length === 0) return text("The client can be asked nothing.");
    if (Object.keys(requests).every((key) => ctx.mcpReq.inputResponses?.[key] !== undefined))
      return text("The client answered what it could be asked.");
    return ask(requests);
  });
  return server;
}

/** A form elicitation's answer as the suite's 2025 scenarios expect it back, or undefined before the answer. */
function elicited(responses: Record<string, unknown> | undefined, key: string): string | undefined {
  const view = inputResponse(responses, key);
  if (view.kind !== "elicit") return undefined;
  return `action=${view.action}, content=${JSON.stringify(view.content ?? {})}`;
}

/** A tool that asks one form and answers with `prefix` and the client's answer. */
function formTool(server: McpServer, name: string, requestedSchema: object, prefix: string, message: string): void {
  server.registerTool(name, { description: `The conformance suite's ${name}` }, (async (ctx: ServerContext) => {
    const answer = elicited(ctx.mcpReq.inputResponses, "form");
    if (answer === undefined) return ask({ form: inputRequired.elicit({ message, requestedSchema } as never) });
    return text(`${prefix}${answer}`);
  }) as never);
}

/**
 * The suite's 2025 tools that ask the client during a call (`test_sampling`, `test_elicitation`, the
 * SEP-1034 and SEP-1330 elicitations), asking with input-required results as this revision does: the
 * gateway asks a 2025 client on its behalf.
 */
function addAskingTools(server: McpServer): void {
  server.registerTool(
    "test_sampling",
    { description: "Asks the client's model", inputSchema: z.object({ prompt: z.string() }) },
    async ({ prompt }, ctx) => {
      const answer = sampledText(ctx.mcpReq.inputResponses, "completion");
      if (answer === undefined) return ask({ completion: sample(prompt, 100) });
      return text(`LLM response: ${answer}`);
    },
  );
  server.registerTool(
    "test_elicitation",
    { description: "Asks the user", inputSchema: z.object({ message: z.string() }) },
    async ({ message }, ctx) => {
      const answer = elicited(ctx.mcpReq.inputResponses, "user");
      if (answer !== undefined) return text(`User response: ${answer}`);
      const requestedSchema = {
        type: "object",
        properties: {
          username: { type: "string", description: "User's response" },
          email: { type: "string", description: "User's email address" },
        },
        required: ["username", "email"],
      };
      return ask({ user: inputRequired.elicit({ message, requestedSchema } as never) });
    },
  );
  formTool(
    server,
    "test_elicitation_sep1034_defaults",
    {
      type: "object",
      properties: {
        name: { type: "string", default: "John Doe" },
        age: { type: "integer", default: 30 },
        score: { type: "number", default: 95.5 },
        status: { type: "string", enum: ["active", "inactive", "pending"], default: "active" },
        verified: { type: "boolean", default: true },
      },
    },
    "Elicitation completed: ",
    "Please review the defaults",
  );
  formTool(
    server,
    "test_elicitation_sep1330_enums",
    {
      type: "object",
      properties: {
        untitledSingle: { type: "string", enum: ["option1", "option2", "option3"] },
        titledSingle: {
          type: "string",
          oneOf: [
            { const: "value1", title: "First Option" },
            { const: "value2", title: "Second Option" },
            { const: "value3", title: "Third Option" },
          ],
        },
        legacyEnum: {
          type: "string",
          enum: ["opt1", "opt2", "opt3"],
          enumNames: ["Option One", "Option Two", "Option Three"],
        },
        untitledMulti: { type: "array", items: { type: "string", enum: ["option1", "option2", "option3"] } },
        titledMulti: {
          type: "array",
          items: {
            anyOf: [
              { const: "value1", title: "First Choice" },
              { const: "value2", title: "Second Choice" },
              { const: "value3", title: "Third Choice" },
            ],
          },
        },
      },
    },
    "Elicitation completed: ",
    "Please choose",
  );
}

/** The suite's resources, template and prompts, and completions for a prompt's argument. */
function addResourcesAndPrompts(server: McpServer): void {
  server.registerResource(
    "static-text",
    "test://static-text",
    { description: "A static text resource", mimeType: "text/plain" },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: "text/plain", text: "This is the content of the static text resource." }],
    }),
  );
  server.registerResource(
    "static-binary",
    "test://static-binary",
    { description: "A static binary resource", mimeType: "image/png" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "image/png", blob: PNG }] }),
  );
  // The resource the suite subscribes to; the backend declares subscriptions, taken on a listen stream.
  server.registerResource(
    "watched-resource",
    "test://watched-resource",
    { description: "A resource whose updates can be subscribed to", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: "Watched." }] }),
  );
  server.registerResource(
    "template-data",
    new ResourceTemplate("test://template/{id}/data", { list: undefined }),
    { description: "Data for an id", mimeType: "application/json" },
    async (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    }),
  );
  const user = (content: PromptMessage["content"]): PromptMessage => ({ role: "user", content });
  server.registerPrompt("test_simple_prompt", { description: "A prompt without arguments" }, async () => ({
    messages: [user({ type: "text", text: "This is a simple prompt for testing." })],
  }));
  server.registerPrompt(
    "test_prompt_with_arguments",
    {
      description: "A prompt with two arguments",
      argsSchema: z.object({
        arg1: completable(z.string().describe("First test argument"), (value) =>
          ["paris", "park", "party"].filter((word) => word.startsWith(value)),
        ),
        arg2: z.string().describe("Second test argument"),
      }),
    },
    async ({ arg1, arg2 }) => ({
      messages: [user({ type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` })],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_embedded_resource",
    {
      description: "A prompt that embeds a resource",
      argsSchema: z.object({ resourceUri: z.string().describe("URI of the resource to embed") }),
    },
    async ({ resourceUri }) => ({
      messages: [
        user({
          type: "resource",
          resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." },
        }),
        user({ type: "text", text: "Please process the embedded resource above." }),
      ],
    }),
  );
  server.registerPrompt(
    "test_input_required_result_prompt",
    { description: "A prompt that asks the client for its context first" },
    async (ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "user_context", z.object({ context: z.string() }));
      if (answer === undefined)
        return ask({ user_context: elicitName("What context should the prompt use?", "context") });
      return { messages: [user({ type: "text", text: `Use this context: ${answer.context}` })] };
    },
  );
  server.registerPrompt("test_prompt_with_image", { description: "A prompt with an image" }, async () => ({
    messages: [
      user({ type: "image", data: PNG, mimeType: "image/png" }),
      user({ type: "text", text: "Please analyze the image above." }),
    ],
  }));
}

export interface ConformanceBackend {
  url: string;
  stop(): Promise<void>;
}

export function startConformanceBackend(): ConformanceBackend {
  const bus = new InMemoryServerEventBus();
  const endpoint = createMcpEndpoint(() => createConformanceServer(bus), { bus });
  const server: Server<undefined> = serve(endpoint, { port: 0, hostname: "127.0.0.1", handleSignals: false });
  return {
    url: `http://127.0.0.1:${server.port}`,
    async stop() {
      await server.stop(true);
    },
  };
}
