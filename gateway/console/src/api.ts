/**
 * The console's only way to the gateway: admin API requests carrying the signed-in key as a header.
 * The key lives in this tab's session storage, so it never appears in a URL, a log line or another tab.
 */
const KEY_STORAGE = "mcp-gateway-console-key";

export type Role = "admin" | "viewer";

export interface Issue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  signIn: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  signOut: () => sessionStorage.removeItem(KEY_STORAGE),
};

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "X-API-Key": session.key() ?? "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { message?: string; issues?: Issue[] } } | undefined)?.error;
    throw new ApiError(response.status, error?.message ?? `${response.status} ${response.statusText}`, error?.issues);
  }
  return json as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Follows the gateway's event stream with fetch (EventSource cannot send the key as a header) and calls
 * `onState` with each state it sends. Reconnects after a pause until `signal` aborts.
 */
export async function followEvents(onState: (state: LiveState) => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch("/events", { headers: { "X-API-Key": session.key() ?? "" }, signal });
      if (!response.ok || !response.body) throw new ApiError(response.status, "event stream refused");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event
            .split("\n")
            .filter((line) => line.startsWith("data: "))
            .map((line) => line.slice(6))
            .join("\n");
          if (data) onState(JSON.parse(data) as LiveState);
        }
      }
    } catch {
      // The gateway restarted or the network dropped: try again shortly.
    }
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

export interface Health {
  status: "unknown" | "up" | "down";
  circuit: "closed" | "open" | "half-open";
  consecutiveFailures: number;
  lastError?: string;
  lastCheckAt?: string;
}

export interface Service {
  name: string;
  url: string;
  tools: string[];
  resources: string[];
  resourceTemplates: string[];
  prompts: string[];
  /** The MCP revision the gateway speaks with it; null for a stdio service. */
  revision: string | null;
  createdAt: string;
  updatedAt: string;
  health: Health;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
}

export interface CatalogTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  service: string;
  tool: string;
}

export interface CatalogPrompt {
  name: string;
  description?: string;
  service: string;
}

export interface Catalog {
  version: number;
  tools: CatalogTool[];
  prompts: CatalogPrompt[];
  services: {
    name: string;
    resources: { uri: string; name?: string }[];
    resourceTemplates: { uriTemplate: string }[];
  }[];
}

export interface LiveState {
  version: number;
  backends: { name: string; status: Health["status"]; circuit: Health["circuit"]; lastError?: string }[];
}

export interface ToolResult {
  isError?: boolean;
  content?: ({ type: "text"; text: string } | { type: "image"; data: string; mimeType: string } | { type: string })[];
  structuredContent?: unknown;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  roles: string[];
  rateLimitPerMinute: number | null;
  expiresAt: string | null;
  createdAt: string;
}

export interface VirtualServer {
  name: string;
  description?: string | null;
  path: string;
  services: string[];
  tools: string[];
  resources: string[];
  prompts: string[];
  allowedScopes: string[];
  allowedRoles: string[];
}

export interface AuditEvent {
  id: string;
  at: string;
  kind: "admin" | "tool_call";
  actor: string;
  action: string;
  target?: string;
  service?: string;
  tool?: string;
  outcome?: string;
  durationMs?: number;
  requestId?: string;
}
