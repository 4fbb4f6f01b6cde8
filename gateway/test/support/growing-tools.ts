/**
 * A backend's tool set that grows at run time: `grow` adds a tool and announces the change, as a
 * backend that learns new tools does. The fixtures are stateless (a server per request), so the grown
 * names live in `grown`, which every server of one fixture shares and reads.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

export function registerGrowingTools(server: McpServer, grown: string[]): void {
  server.registerTool("grow", { description: "Adds a tool, and says so." }, async (extra) => {
    grown.push(`grown${grown.length + 1}`);
    await extra.sendNotification({ method: "notifications/tools/list_changed" });
    return { content: [{ type: "text", text: "grown" }] };
  });
  for (const name of grown)
    server.registerTool(name, { description: "A tool added at run time." }, async () => ({
      content: [{ type: "text", text: name }],
    }));
}
