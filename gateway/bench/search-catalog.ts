/**
 * A large, varied catalog for the tool-search section, and queries labelled with the tool each one
 * should find. Everything comes from a seeded generator, so every run measures the same catalog.
 *
 * A tool is a verb, a qualifier and an entity of one business domain (`crm_cancel_pending_deal`,
 * `scheduleRecurringShipment`, ...). Its description and its queries each pick their own words for the
 * verb and the domain from lists of synonyms, so a query often says "call off" where the description
 * says "cancel", or "sales" where the name says "crm": the search has to rank, not just match names.
 */
import type { ToolDefinition } from "../src/registry/queries.ts";

export interface SearchCatalog {
  /** Tools by service, in registration order. */
  services: { name: string; tools: ToolDefinition[] }[];
  queries: LabelledQuery[];
}

export interface LabelledQuery {
  query: string;
  /** The tool that should be among the first results. */
  expected: string;
}

interface Domain {
  key: string;
  /** Words a description or query may use for the domain. */
  words: string[];
  entities: string[];
}

const DOMAINS: Domain[] = [
  {
    key: "crm",
    words: ["CRM", "sales", "customer relationship"],
    entities: ["contact", "lead", "deal", "account", "opportunity", "note"],
  },
  {
    key: "billing",
    words: ["billing", "accounts receivable", "payments"],
    entities: ["invoice", "payment", "refund", "subscription", "credit note", "tax rate"],
  },
  {
    key: "shipping",
    words: ["shipping", "logistics", "delivery"],
    entities: ["shipment", "parcel", "carrier", "label", "pickup", "route"],
  },
  {
    key: "inventory",
    words: ["inventory", "stock", "warehouse"],
    entities: ["item", "stock level", "bin", "supplier", "purchase order", "batch"],
  },
  {
    key: "hr",
    words: ["HR", "human resources", "people"],
    entities: ["employee", "leave request", "payslip", "position", "candidate", "review"],
  },
  {
    key: "support",
    words: ["support", "help desk", "customer service"],
    entities: ["ticket", "macro", "agent", "queue", "satisfaction survey", "article"],
  },
  {
    key: "calendar",
    words: ["calendar", "scheduling", "agenda"],
    entities: ["event", "meeting room", "invitation", "availability", "reminder", "booking"],
  },
  {
    key: "storage",
    words: ["file storage", "documents", "drive"],
    entities: ["file", "folder", "share link", "version", "quota", "upload"],
  },
  {
    key: "git",
    words: ["source control", "git", "code hosting"],
    entities: ["repository", "branch", "pull request", "commit", "release", "issue"],
  },
  {
    key: "ci",
    words: ["CI", "build pipeline", "continuous integration"],
    entities: ["pipeline", "job", "artifact", "runner", "build", "deployment"],
  },
  {
    key: "monitoring",
    words: ["monitoring", "observability", "alerting"],
    entities: ["alert", "dashboard", "metric", "incident", "on-call shift", "log stream"],
  },
  {
    key: "marketing",
    words: ["marketing", "campaigns", "email marketing"],
    entities: ["campaign", "audience", "newsletter", "template", "coupon", "landing page"],
  },
  {
    key: "analytics",
    words: ["analytics", "reporting", "business intelligence"],
    entities: ["report", "funnel", "cohort", "segment", "kpi", "export job"],
  },
  {
    key: "chat",
    words: ["chat", "messaging", "team chat"],
    entities: ["channel", "message", "thread", "reaction", "direct message", "user group"],
  },
  {
    key: "ecommerce",
    words: ["online store", "shop", "e-commerce"],
    entities: ["product", "order", "cart", "review", "category", "discount"],
  },
  {
    key: "finance",
    words: ["accounting", "finance", "bookkeeping"],
    entities: ["ledger entry", "expense", "budget", "bank transaction", "vendor bill", "journal"],
  },
  {
    key: "iam",
    words: ["identity", "access management", "directory"],
    entities: ["user", "role", "group", "api key", "session", "policy"],
  },
  {
    key: "cms",
    words: ["content management", "CMS", "website"],
    entities: ["page", "post", "media asset", "menu", "author", "comment"],
  },
  {
    key: "travel",
    words: ["travel", "trips", "bookings"],
    entities: ["flight", "hotel reservation", "itinerary", "rental car", "traveler", "fare"],
  },
  {
    key: "weather",
    words: ["weather", "meteorology", "climate"],
    entities: ["forecast", "station", "radar image", "storm warning", "observation", "air quality"],
  },
];

/** Each verb with the words a description or query may use for it. */
const VERBS: [string, string[]][] = [
  ["list", ["list", "enumerate", "show all"]],
  ["get", ["get", "fetch", "look up", "retrieve"]],
  ["create", ["create", "add", "make a new"]],
  ["update", ["update", "edit", "modify", "change"]],
  ["delete", ["delete", "remove", "erase"]],
  ["search", ["search", "find", "query"]],
  ["export", ["export", "download", "dump"]],
  ["archive", ["archive", "file away", "put in cold storage"]],
  ["approve", ["approve", "sign off", "accept"]],
  ["cancel", ["cancel", "call off", "abort"]],
  ["assign", ["assign", "hand over", "allocate"]],
  ["schedule", ["schedule", "plan", "queue up"]],
  ["sync", ["sync", "synchronize", "mirror"]],
  ["count", ["count", "tally", "how many"]],
  ["restore", ["restore", "recover", "undelete"]],
];

const QUALIFIERS = [
  "",
  "pending",
  "archived",
  "recurring",
  "draft",
  "shared",
  "overdue",
  "bulk",
  "external",
  "flagged",
];

const PARAMETERS: Record<string, string[]> = {
  list: ["limit", "cursor", "sortBy"],
  get: ["id", "fields"],
  create: ["name", "ownerId", "metadata"],
  update: ["id", "changes"],
  delete: ["id", "force"],
  search: ["query", "filters", "limit"],
  export: ["format", "from", "to"],
  archive: ["id", "reason"],
  approve: ["id", "approverId", "comment"],
  cancel: ["id", "reason", "notify"],
  assign: ["id", "assigneeId"],
  schedule: ["id", "runAt", "timezone"],
  sync: ["source", "since"],
  count: ["filters", "groupBy"],
  restore: ["id", "versionId"],
};

/** mulberry32: small, fast and the same on every platform. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Spec {
  domain: Domain;
  verb: [string, string[]];
  qualifier: string;
  entity: string;
}

const words = (...parts: string[]) => parts.flatMap((p) => p.split(/\s+/)).filter((w) => w !== "");
const camel = (parts: string[]) =>
  parts.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]?.toUpperCase() + w.slice(1).toLowerCase())).join("");
const plural = (entity: string) => (entity.endsWith("y") ? `${entity.slice(0, -1)}ies` : `${entity}s`);

/** Builds `tools` tools across services of `toolsPerService`, and `queries` labelled queries. */
export function generateSearchCatalog(size: {
  tools: number;
  toolsPerService: number;
  queries: number;
}): SearchCatalog {
  const random = seededRandom(18);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const all: Spec[] = [];
  for (const domain of DOMAINS)
    for (const verb of VERBS)
      for (const qualifier of QUALIFIERS)
        for (const entity of domain.entities) all.push({ domain, verb, qualifier, entity });
  if (size.tools > all.length) throw new Error(`at most ${all.length} distinct tools can be generated`);
  // A seeded shuffle, then the first `tools`: every tool is a distinct combination.
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j] as Spec, all[i] as Spec];
  }
  const specs = all.slice(0, size.tools);

  const tools = specs.map((spec) => toolOf(spec, pick));
  const services: SearchCatalog["services"] = [];
  for (let first = 0; first < tools.length; first += size.toolsPerService)
    services.push({
      name: `search-svc-${String(services.length).padStart(4, "0")}`,
      tools: tools.slice(first, first + size.toolsPerService),
    });

  const queries: LabelledQuery[] = [];
  const step = Math.max(1, Math.floor(specs.length / size.queries));
  for (let i = 0; i < size.queries && i * step < specs.length; i++) {
    const spec = specs[i * step] as Spec;
    const tool = tools[i * step] as ToolDefinition;
    queries.push({ query: queryOf(spec, pick), expected: tool.name });
  }
  return { services, queries };
}

function toolOf(spec: Spec, pick: <T>(items: readonly T[]) => T): ToolDefinition {
  const [verb, verbWords] = spec.verb;
  const nameWords = words(spec.domain.key, verb, spec.qualifier, spec.entity);
  // Names come in the styles real servers use.
  const name = pick([nameWords.join("_"), camel(nameWords), nameWords.join("-")]);
  const entityId = `${camel(words(spec.entity))}Id`;
  const parameters = [...(PARAMETERS[verb] ?? []), entityId];
  const object = spec.verb[0] === "list" || spec.verb[0] === "count" ? plural(spec.entity) : spec.entity;
  return {
    name,
    title: words(verb, spec.qualifier, spec.entity)
      .map((w, i) => (i === 0 ? w[0]?.toUpperCase() + w.slice(1) : w))
      .join(" "),
    description: `${capitalised(pick(verbWords))} ${spec.qualifier ? `${spec.qualifier} ` : ""}${object} in the ${pick(spec.domain.words)} system. ${pick(
      [
        "Returns the affected records.",
        "Requires the write scope.",
        "Results are paginated.",
        "Safe to retry.",
        "Runs asynchronously and returns a job id.",
      ],
    )}`,
    inputSchema: {
      type: "object",
      properties: Object.fromEntries(parameters.map((p) => [p, { type: "string" }])),
      required: [entityId],
    },
  };
}

function queryOf(spec: Spec, pick: <T>(items: readonly T[]) => T): string {
  const verb = pick(spec.verb[1]);
  const domain = pick(spec.domain.words);
  const qualifier = spec.qualifier ? `${spec.qualifier} ` : "";
  return pick([
    `${verb} ${qualifier}${spec.entity} in ${domain}`,
    `${domain}: ${verb} a ${qualifier}${spec.entity}`,
    `I need to ${verb} ${qualifier}${plural(spec.entity)} (${domain})`,
  ]);
}

function capitalised(text: string): string {
  return text[0]?.toUpperCase() + text.slice(1);
}
