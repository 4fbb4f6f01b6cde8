import { toolId } from "@mcp-federation/mcp-http";
import { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { findUser, ROLES, searchUsers } from "./users.ts";

const userShape = {
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  createdAt: z.string(),
};

/** A fresh MCP server with the user tools; the endpoint builds one per request, of either protocol revision. */
export function createUserServer(): McpServer {
  const server = new McpServer({ name: "user-service", version: "1.0.0" });

  server.registerTool(
    "getUserById",
    {
      title: "Get user by id",
      description: `Look up one user account by its id, with name, email, role (${ROLES.join(", ")}) and creation date.`,
      inputSchema: z.object({ id: toolId('User id, for example "456"') }),
      outputSchema: z.object(userShape),
    },
    async ({ id }) => {
      const user = findUser(id);
      if (!user) {
        return {
          isError: true,
          content: [
            {
              type: "text",
              text: `No user has id "${id}". Use searchUsers with a name or email to find valid user ids.`,
            },
          ],
        };
      }
      return { content: [{ type: "text", text: JSON.stringify(user) }], structuredContent: { ...user } };
    },
  );

  server.registerTool(
    "searchUsers",
    {
      title: "Search users",
      description:
        "Search user accounts whose name or email contains the query (case-insensitive). Without a query, lists users.",
      inputSchema: z.object({
        query: z.string().optional().describe("Text to look for in the name or email"),
        limit: z.number().int().min(1).max(100).optional().describe("Most results to return (default 10)"),
      }),
      outputSchema: z.object({ users: z.array(z.object(userShape)), count: z.number().int() }),
    },
    async ({ query, limit }) => {
      const users = searchUsers({ query, limit: limit ?? 10 });
      const result = { users, count: users.length };
      return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
    },
  );

  return server;
}
