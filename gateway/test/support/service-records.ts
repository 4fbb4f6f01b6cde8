import type { ServiceRecord } from "../../src/registry/queries.ts";

/** A registry row as the catalog sees it, with tools of the given names, for tests that need no database. */
export function serviceRecord(name: string, tools: string[]): ServiceRecord {
  return {
    id: name,
    name,
    url: `http://${name}.test`,
    tools: tools.map((t) => ({ name: t, inputSchema: { type: "object" } })),
    resources: [],
    resourceTemplates: [],
    prompts: [],
    rejected: [],
    resourceSubscribe: false,
    secretHeaders: null,
    pinMode: "off",
    limits: null,
    command: null,
    secretEnv: null,
    revision: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}
