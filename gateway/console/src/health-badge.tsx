import type { Health } from "./api.ts";

export function HealthBadge({ health }: { health: Health }) {
  return <span class={`badge ${health.status}`}>{health.status}</span>;
}
