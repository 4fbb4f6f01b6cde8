/**
 * The one place governance events are recorded: a structured log line and a metric today, and the
 * place an audit row joins them once there is an audit log.
 */
import type { Logger } from "../logger.ts";

export type GovernanceEventKind =
  | "tool_held"
  | "tool_flagged"
  | "tool_approved"
  | "override_set"
  | "override_removed"
  | "pinning_set"
  | "limits_set";

export interface GovernanceEvent {
  kind: GovernanceEventKind;
  service: string;
  /** The backend's name of the tool, for events about one tool. */
  tool?: string;
  /** The definition hash of a held, flagged or approved tool; the mode of `pinning_set`. */
  detail?: string;
}

export type RecordGovernanceEvent = (event: GovernanceEvent) => void;

export function createGovernanceEvents(deps: {
  log: Logger;
  count: (event: GovernanceEvent) => void;
}): RecordGovernanceEvent {
  return (event) => {
    deps.log.info("governance event", { ...event });
    deps.count(event);
  };
}
