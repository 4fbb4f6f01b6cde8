/**
 * Fills a registry with many services straight through the database, as if each had registered: the
 * gateway's catalog cannot tell the difference, and a thousand discoveries would only measure backends.
 */
import type { Database } from "../src/registry/database.ts";
import type { ToolDefinition } from "../src/registry/queries.ts";
import { services, serviceTools } from "../src/registry/schema.ts";

export interface CatalogSize {
  services: number;
  toolsPerService: number;
}

/** Rows per insert statement; keeps each statement well below Postgres' bind-parameter limit. */
const BATCH = 200;

/**
 * Every service gets the same tool names, as replicas of one kind of backend would, so all but the
 * first service's tools are exposed under qualified names: the catalog's slower path.
 */
export async function seedCatalog(db: Database, size: CatalogSize, serviceUrl = "http://127.0.0.1:9"): Promise<void> {
  for (let first = 0; first < size.services; first += BATCH) {
    const names = Array.from({ length: Math.min(BATCH, size.services - first) }, (_, i) => serviceName(first + i));
    await db.transaction(async (tx) => {
      const rows = await tx
        .insert(services)
        .values(names.map((name) => ({ name, url: serviceUrl })))
        .returning({ id: services.id, name: services.name });
      await tx
        .insert(serviceTools)
        .values(rows.map((row) => ({ serviceId: row.id, tools: toolsOf(row.name, size.toolsPerService) })));
    });
  }
}

function serviceName(index: number): string {
  return `svc-${String(index).padStart(4, "0")}`;
}

/** Tool definitions shaped like the shopping service's: a title, a description, input and output schemas. */
function toolsOf(service: string, count: number): ToolDefinition[] {
  return Array.from({ length: count }, (_, t) => ({
    name: `getRecord${t}`,
    title: `Get record ${t}`,
    description: `Looks up one record of kind ${t} in ${service} by its id and returns its fields. Use searchRecords to find ids.`,
    inputSchema: {
      type: "object",
      properties: {
        id: { type: "string", minLength: 1, description: 'Record id, for example "123"' },
        fields: { type: "array", items: { type: "string" }, description: "Fields to return (default: all)" },
      },
      required: ["id"],
      additionalProperties: false,
      $schema: "http://json-schema.org/draft-07/schema#",
    },
    outputSchema: {
      type: "object",
      properties: { id: { type: "string" }, name: { type: "string" }, updatedAt: { type: "string" } },
      required: ["id", "name"],
      additionalProperties: false,
      $schema: "http://json-schema.org/draft-07/schema#",
    },
  }));
}
