/**
 * List changes of 2026-07-28 backends, heard outside any call: one `subscriptions/listen` stream per
 * such backend on this replica, following the catalog (opened for new services, closed for services
 * deleted or changed). A 2025 backend announces its changes during calls or on a session's GET stream
 * (backend-pool.ts, backend-resource-channel.ts); a 2026-07-28 backend has no session and sends them
 * only on a listen stream, so without one the gateway would never hear of them.
 *
 * Every list is asked for, and the backend acknowledges only those its capabilities declare; one that
 * declares none ends the listen at once and is not asked again until its registration changes. Every
 * replica holds its own stream, so each pulls the lists again on a change: pulling is idempotent, and
 * a replica does not depend on another one being up to hear of it.
 */
import type { FetchLike } from "@modelcontextprotocol/client";
import type { Logger } from "../logger.ts";
import { type BackendListen, openBackendListen } from "./backend-listen-stream.ts";
import type { BackendTarget, HttpTarget } from "./mcp-connection.ts";
import { isModernRevision } from "./modern-wire.ts";

export interface BackendListChanges {
  /** Makes the streams match the registry's backends. */
  sync(targets: readonly BackendTarget[]): void;
  /** The services listened to (or being tried): not those whose stream stopped for good. */
  readonly listening: readonly string[];
  close(): void;
}

export interface BackendListChangesOptions {
  fetch: FetchLike;
  maxEventBytes: number;
  refuse?: (url: string) => Promise<string | undefined>;
  /** The service announced that its tools, resources or prompts changed, or may have. Must not throw. */
  onlistchanged: (service: string) => void;
  /** Pauses between failed attempts to open a stream (see BackendListenOptions.retry). */
  retry?: { firstMs: number; maxMs: number };
  log: Logger;
}

const LIST_CHANGED = new Set([
  "notifications/tools/list_changed",
  "notifications/resources/list_changed",
  "notifications/prompts/list_changed",
]);

const EVERY_LIST = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };

interface Held {
  /** The target as the stream was opened for, to tell when the registration changed. */
  key: string;
  listen: BackendListen;
  /** Whether the backend will not take the listen (it declares no list changes, or knows no such method). */
  state: { stopped: boolean };
}

export function createBackendListChanges({
  fetch,
  maxEventBytes,
  refuse,
  onlistchanged,
  retry,
  log,
}: BackendListChangesOptions): BackendListChanges {
  const held = new Map<string, Held>();

  const open = (target: HttpTarget): Held => {
    const state = { stopped: false };
    const listen = openBackendListen({
      target,
      fetch,
      filter: EVERY_LIST,
      maxEventBytes,
      refuse,
      retry,
      onnotification: ({ method }) => {
        if (LIST_CHANGED.has(method)) onlistchanged(target.name);
      },
      // What changed while no stream was open was not heard: the lists are pulled once to catch up.
      onacknowledged: (_, reopened) => {
        if (reopened) onlistchanged(target.name);
      },
      onstop: (reason) => {
        state.stopped = true;
        log.info("not listening for a service's list changes", { service: target.name, reason });
      },
    });
    return { key: JSON.stringify(target), listen, state };
  };

  const drop = (name: string) => {
    held.get(name)?.listen.close();
    held.delete(name);
  };

  return {
    sync(targets) {
      const wanted = new Map<string, HttpTarget>();
      for (const target of targets)
        if ("url" in target && isModernRevision(target.revision)) wanted.set(target.name, target);
      for (const name of [...held.keys()]) if (!wanted.has(name)) drop(name);
      for (const [name, target] of wanted) {
        if (held.get(name)?.key === JSON.stringify(target)) continue;
        drop(name);
        held.set(name, open(target));
      }
    },
    get listening() {
      return [...held].filter(([, entry]) => !entry.state.stopped).map(([name]) => name);
    },
    close() {
      for (const name of [...held.keys()]) drop(name);
    },
  };
}
