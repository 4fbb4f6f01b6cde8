/**
 * What the gateway's `subscriptions/listen` streams (2026-07-28 clients) are sent, as the SDK's
 * `ServerEventBus`: the SDK's listen router owns the wire (the acknowledgement, the client's filter,
 * subscription ids, keep-alives, teardown); this bus decides which events reach each stream.
 *
 * - List changes come from this replica's catalog reloads. Every replica reloads on a new registry
 *   version, so a registration made through any replica reaches the streams held by all of them, and a
 *   stream is told only after the replica it is on can already answer the new list. Each stream learns
 *   only of the lists that changed in its caller's view (permissions, virtual servers).
 * - Resource updates, and anything else published on the bus, travel over the session bus (Redis
 *   pub/sub, or in-process on the embedded defaults) to every replica, because the replica holding a
 *   backend's subscription is rarely the one holding the listening stream. A stream is sent an update
 *   only when its caller may read that resource.
 *
 * The SDK subscribes a stream without saying whose it is, so the caller's context reaches `subscribe`
 * through an AsyncLocalStorage entered around the SDK handler's fetch (see `within`).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { ServerEvent, ServerEventBus } from "@modelcontextprotocol/server";
import type { CatalogView } from "../catalog/catalog.ts";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import type { Logger } from "../logger.ts";
import type { SessionBus } from "../sessions/session-bus.ts";

/** Whose a listen stream is, known while its request is served. */
export interface ListenContext {
  catalog: CatalogView;
  /** Called when the stream opens; what it returns, when the stream closes (resource subscriptions hold backends). */
  hold?: () => () => void;
}

export interface ListenEvents {
  /** The bus handed to the SDK's `createMcpHandler`. */
  readonly bus: ServerEventBus;
  /** Runs `serve` (the SDK handler's fetch) so that a listen stream it opens knows its caller. */
  within<T>(context: ListenContext, serve: () => T): T;
  /** Delivers an event to this replica's streams (a resource update to those whose caller may read it). */
  deliverHere(event: ServerEvent): void;
  /** Tells each local stream of the lists that changed in its caller's view since it last heard. */
  catalogReloaded(): void;
  /** Aborts when the replica drains: listen streams end on it, so that their clients listen elsewhere. */
  readonly draining: AbortSignal;
  endStreams(): void;
  /** How many listen streams this replica holds. */
  readonly size: number;
  close(): void;
}

const CHANNEL = "listen:events";

interface Listener {
  catalog: CatalogView;
  /** The caller's view when the stream last heard of a change. */
  seen: CatalogSnapshot;
  deliver: (event: ServerEvent) => void;
}

type ListKind = "tools_list_changed" | "resources_list_changed" | "prompts_list_changed";

const LISTS: readonly { kind: ListKind; lists: (s: CatalogSnapshot) => readonly unknown[] }[] = [
  { kind: "tools_list_changed", lists: (s) => [s.tools] },
  { kind: "resources_list_changed", lists: (s) => [s.resources, s.resourceTemplates] },
  { kind: "prompts_list_changed", lists: (s) => [s.prompts] },
];

export function createListenEvents({ sessionBus, log }: { sessionBus: SessionBus; log: Logger }): ListenEvents {
  const context = new AsyncLocalStorage<ListenContext>();
  const listeners = new Set<Listener>();
  const drain = new AbortController();

  const deliver = (listener: Listener, event: ServerEvent) => {
    try {
      listener.deliver(event);
    } catch (error) {
      log.warn("a listen stream could not take an event", { error });
    }
  };

  const deliverHere = (event: ServerEvent) => {
    for (const listener of [...listeners]) {
      if (event.kind === "resource_updated" && !mayRead(listener.catalog.snapshot(), event.uri)) continue;
      deliver(listener, event);
    }
  };
  const unsubscribe = sessionBus.subscribe(CHANNEL, (message) => {
    const event = parseEvent(message);
    if (event) deliverHere(event);
  });

  const bus: ServerEventBus = {
    publish(event) {
      sessionBus
        .publish(CHANNEL, JSON.stringify(event))
        .catch((error: unknown) =>
          log.warn("an event for listen streams was lost (session bus unavailable)", { error }),
        );
    },
    subscribe(listenerOf) {
      const caller = context.getStore();
      // Only the gateway's own handler opens listen streams, always inside `within`.
      if (!caller) throw new Error("a listen stream was opened outside the gateway's MCP handler");
      const listener: Listener = { catalog: caller.catalog, seen: caller.catalog.snapshot(), deliver: listenerOf };
      listeners.add(listener);
      const release = caller.hold?.();
      let live = true;
      return () => {
        if (!live) return;
        live = false;
        listeners.delete(listener);
        release?.();
      };
    },
  };

  return {
    bus,
    within: (caller, serve) => context.run(caller, serve),
    deliverHere,
    catalogReloaded() {
      // Callers with the same view share its snapshot (access/catalog-views.ts), so each distinct change is compared once.
      const changes = new Map<CatalogSnapshot, Map<CatalogSnapshot, ListKind[]>>();
      const changed = (next: CatalogSnapshot, previous: CatalogSnapshot): ListKind[] => {
        const byPrevious = changes.get(next) ?? new Map<CatalogSnapshot, ListKind[]>();
        changes.set(next, byPrevious);
        const kinds = byPrevious.get(previous) ?? changedLists(next, previous);
        byPrevious.set(previous, kinds);
        return kinds;
      };
      for (const listener of [...listeners]) {
        const next = listener.catalog.snapshot();
        const previous = listener.seen;
        listener.seen = next;
        if (next === previous) continue;
        for (const kind of changed(next, previous)) deliver(listener, { kind });
      }
    },
    draining: drain.signal,
    endStreams: () => drain.abort(),
    get size() {
      return listeners.size;
    },
    close() {
      drain.abort();
      unsubscribe();
      listeners.clear();
    },
  };
}

function changedLists(next: CatalogSnapshot, previous: CatalogSnapshot): ListKind[] {
  return LISTS.filter(({ lists }) => JSON.stringify(lists(next)) !== JSON.stringify(lists(previous))).map(
    ({ kind }) => kind,
  );
}

/** Whether the view routes a read of `uri`: its caller would be refused one of any other. */
function mayRead(view: CatalogSnapshot, uri: string): boolean {
  return view.resourceOwner(uri) !== undefined;
}

const KINDS = new Set(["tools_list_changed", "resources_list_changed", "prompts_list_changed", "resource_updated"]);

/** An event from the session bus; another replica may run another version, so anything unknown is dropped. */
function parseEvent(message: string): ServerEvent | undefined {
  try {
    const event = JSON.parse(message) as Partial<ServerEvent> & { uri?: unknown };
    if (typeof event.kind !== "string" || !KINDS.has(event.kind)) return undefined;
    if (event.kind === "resource_updated" && typeof event.uri !== "string") return undefined;
    return event as ServerEvent;
  } catch {
    return undefined;
  }
}
