/**
 * The admin's operations on a service's tools: overrides, limits, pinning and approvals. Every write is
 * announced like a registry write, so each replica rebuilds its catalog once and calls read memory only.
 */
import { HttpError } from "../http-error.ts";
import type { Database } from "../registry/database.ts";
import { findActiveService, type ServiceRecord } from "../registry/queries.ts";
import { notFound, type StorageGuard } from "../registry/registry-service.ts";
import type { RecordGovernanceEvent } from "./governance-events.ts";
import {
  deleteToolOverride,
  loadGovernance,
  pinTool,
  putToolOverride,
  setPinMode,
  setServiceLimits,
} from "./governance-queries.ts";
import {
  definitionHash,
  NO_GOVERNANCE,
  type PendingTool,
  pendingTools,
  type ServiceGovernance,
} from "./governed-tools.ts";
import type { PinMode, ToolLimits, ToolOverride } from "./tool-governance.ts";

export interface ToolGovernanceDeps {
  db: Database;
  announce: () => Promise<void>;
  record: RecordGovernanceEvent;
  /** Runs each query within the registry's database deadline (see createStorageGuard). */
  storage: StorageGuard;
}

export interface ToolGovernance {
  /** Every active service's governance, by service id. */
  all(): Promise<ReadonlyMap<string, ServiceGovernance>>;
  setOverride(service: string, tool: string, override: ToolOverride): Promise<void>;
  removeOverride(service: string, tool: string): Promise<void>;
  setLimits(service: string, limits: ToolLimits): Promise<void>;
  setPinning(service: string, mode: PinMode): Promise<PendingTool[]>;
  pending(service: string): Promise<PendingTool[]>;
  /** Approves the definition the backend lists now. */
  approve(service: string, tool: string): Promise<{ tool: string; hash: string }>;
  /** After a refresh: records each tool whose definition changed into one that is not approved. */
  refreshed(previous: ServiceRecord, next: ServiceRecord): Promise<void>;
}

export function createToolGovernance({ db, announce, record, storage }: ToolGovernanceDeps): ToolGovernance {
  const serviceNamed = async (name: string) => {
    const service = await storage(() => findActiveService(db, name));
    if (!service) throw notFound(name);
    return service;
  };
  const governanceOf = async (service: ServiceRecord) =>
    (await storage(() => loadGovernance(db))).get(service.id) ?? NO_GOVERNANCE;
  const toolOf = (service: ServiceRecord, tool: string) => {
    const definition = service.tools.find((t) => t.name === tool);
    if (!definition) throw new HttpError("not_found", `Service "${service.name}" has no tool named "${tool}"`);
    return definition;
  };

  return {
    all: () => storage(() => loadGovernance(db)),

    async setOverride(name, tool, override) {
      const service = await serviceNamed(name);
      toolOf(service, tool);
      await storage(() => putToolOverride(db, service.id, tool, override));
      await announce();
      record({ kind: "override_set", service: name, tool });
    },

    async removeOverride(name, tool) {
      const service = await serviceNamed(name);
      const removed = await storage(() => deleteToolOverride(db, service.id, tool));
      if (!removed) throw new HttpError("not_found", `The tool "${tool}" of "${name}" has no override`);
      await announce();
      record({ kind: "override_removed", service: name, tool });
    },

    async setLimits(name, limits) {
      const service = await serviceNamed(name);
      await storage(() => setServiceLimits(db, service.id, Object.keys(limits).length > 0 ? limits : null));
      await announce();
      record({ kind: "limits_set", service: name });
    },

    async setPinning(name, mode) {
      const service = await serviceNamed(name);
      // Turning pinning on approves what is served at that moment; later changes then wait for approval.
      const approve =
        service.pinMode === "off" && mode !== "off"
          ? new Map(service.tools.map((t) => [t.name, definitionHash(t)]))
          : undefined;
      await storage(() => setPinMode(db, service.id, mode, approve));
      await announce();
      record({ kind: "pinning_set", service: name, detail: mode });
      const updated = await serviceNamed(name);
      return pendingTools(updated, await governanceOf(updated));
    },

    async pending(name) {
      const service = await serviceNamed(name);
      return pendingTools(service, await governanceOf(service));
    },

    async approve(name, tool) {
      const service = await serviceNamed(name);
      const hash = definitionHash(toolOf(service, tool));
      await storage(() => pinTool(db, service.id, tool, hash));
      await announce();
      record({ kind: "tool_approved", service: name, tool, detail: hash });
      return { tool, hash };
    },

    async refreshed(previous, next) {
      if (next.pinMode === "off") return;
      const before = new Map(previous.tools.map((t) => [t.name, definitionHash(t)]));
      const kind = next.pinMode === "hold" ? "tool_held" : "tool_flagged";
      for (const { tool, hash } of pendingTools(next, await governanceOf(next)))
        if (before.get(tool) !== hash) record({ kind, service: next.name, tool, detail: hash });
    },
  };
}
