import { toolId } from "@mcp-federation/mcp-http";
import { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { CATEGORIES, findProduct, searchProducts } from "./products.ts";

const productShape = {
  id: z.string(),
  name: z.string(),
  price: z.number(),
  currency: z.string(),
  stock: z.number().int(),
  category: z.string(),
};

/** A fresh MCP server with the shopping tools; the endpoint builds one per request, of either protocol revision. */
export function createShoppingServer(): McpServer {
  const server = new McpServer({ name: "shopping-service", version: "1.0.0" });

  server.registerTool(
    "getProductById",
    {
      title: "Get product by id",
      description: "Look up one product of the shop by its id, with price, currency, stock and category.",
      inputSchema: z.object({ id: toolId('Product id, for example "123"') }),
      outputSchema: z.object(productShape),
    },
    async ({ id }) => {
      const product = findProduct(id);
      if (!product) {
        return {
          isError: true,
          content: [{ type: "text", text: `No product has id "${id}". Use searchProducts to find valid product ids.` }],
        };
      }
      return { content: [{ type: "text", text: JSON.stringify(product) }], structuredContent: { ...product } };
    },
  );

  server.registerTool(
    "searchProducts",
    {
      title: "Search products",
      description: `Search the shop's products by name and/or category. Categories: ${CATEGORIES.join(", ")}.`,
      inputSchema: z.object({
        query: z.string().optional().describe("Words to look for in the product name"),
        category: z.string().optional().describe("Only products of this category"),
        limit: z.number().int().min(1).max(100).optional().describe("Most results to return (default 10)"),
      }),
      outputSchema: z.object({ products: z.array(z.object(productShape)), count: z.number().int() }),
    },
    async ({ query, category, limit }) => {
      const products = searchProducts({ query, category, limit: limit ?? 10 });
      const result = { products, count: products.length };
      return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
    },
  );

  return server;
}
