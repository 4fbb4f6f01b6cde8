/**
 * Reads and writes of tool overrides, pins, pinning modes and service limits. Rows hang off the service
 * row, so a deleted service takes its governance with it and a service registered again starts clean.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../registry/database.ts";
import { services, toolOverrides, toolPins } from "../registry/schema.ts";
import type { ServiceGovernance } from "./governed-tools.ts";
import type { PinMode, ToolLimits, ToolOverride } from "./tool-governance.ts";

interface MutableGovernance {
  overrides: Map<string, ToolOverride>;
  pins: Map<string, string>;
}

/** The governance of every active service, by service id. */
export async function loadGovernance(db: Database): Promise<Map<string, ServiceGovernance>> {
  const [overrides, pins] = await Promise.all([
    db
      .select({ serviceId: toolOverrides.serviceId, tool: toolOverrides.tool, override: toolOverrides.override })
      .from(toolOverrides)
      .innerJoin(services, and(eq(services.id, toolOverrides.serviceId), isNull(services.deletedAt))),
    db
      .select({ serviceId: toolPins.serviceId, tool: toolPins.tool, hash: toolPins.hash })
      .from(toolPins)
      .innerJoin(services, and(eq(services.id, toolPins.serviceId), isNull(services.deletedAt))),
  ]);
  const byService = new Map<string, MutableGovernance>();
  const of = (serviceId: string) => {
    let governance = byService.get(serviceId);
    if (!governance) {
      governance = { overrides: new Map(), pins: new Map() };
      byService.set(serviceId, governance);
    }
    return governance;
  };
  for (const row of overrides) of(row.serviceId).overrides.set(row.tool, row.override);
  for (const row of pins) of(row.serviceId).pins.set(row.tool, row.hash);
  return byService;
}

export async function putToolOverride(
  db: Database,
  serviceId: string,
  tool: string,
  override: ToolOverride,
): Promise<void> {
  await db
    .insert(toolOverrides)
    .values({ serviceId, tool, override })
    .onConflictDoUpdate({
      target: [toolOverrides.serviceId, toolOverrides.tool],
      set: { override, updatedAt: sql`now()` },
    });
}

/** @returns false when the tool had no override. */
export async function deleteToolOverride(db: Database, serviceId: string, tool: string): Promise<boolean> {
  const deleted = await db
    .delete(toolOverrides)
    .where(and(eq(toolOverrides.serviceId, serviceId), eq(toolOverrides.tool, tool)))
    .returning({ id: toolOverrides.id });
  return deleted.length > 0;
}

export async function setServiceLimits(db: Database, serviceId: string, limits: ToolLimits | null): Promise<void> {
  await db.update(services).set({ limits, updatedAt: sql`now()` }).where(eq(services.id, serviceId));
}

/**
 * Sets the pinning mode; `approve` (tool name to definition hash) replaces every pin, which is how
 * turning pinning on approves the definitions served at that moment.
 */
export async function setPinMode(
  db: Database,
  serviceId: string,
  mode: PinMode,
  approve?: ReadonlyMap<string, string>,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(services).set({ pinMode: mode, updatedAt: sql`now()` }).where(eq(services.id, serviceId));
    if (!approve) return;
    await tx.delete(toolPins).where(eq(toolPins.serviceId, serviceId));
    if (approve.size === 0) return;
    await tx.insert(toolPins).values([...approve].map(([tool, hash]) => ({ serviceId, tool, hash })));
  });
}

export async function pinTool(db: Database, serviceId: string, tool: string, hash: string): Promise<void> {
  await db
    .insert(toolPins)
    .values({ serviceId, tool, hash })
    .onConflictDoUpdate({ target: [toolPins.serviceId, toolPins.tool], set: { hash, approvedAt: sql`now()` } });
}
