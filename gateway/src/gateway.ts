/**
 * Builds a complete gateway from its configuration: database, version store, catalog, backend pool,
 * registry and HTTP app. main.ts serves it; tests build several on real stores.
 */
import type { Hono } from "hono";
import { Registry } from "prom-client";
import { DEFAULT_ADMIN_ROLE, DEFAULT_ADMIN_SCOPE } from "./access/access-policy.ts";
import { createCatalogViews } from "./access/catalog-views.ts";
import { listVirtualServers } from "./access/virtual-server-queries.ts";
import { createVirtualServers } from "./access/virtual-servers.ts";
import { createApp } from "./app.ts";
import { type AuditLog, createAuditLog, DEFAULT_AUDIT_SETTINGS } from "./audit/audit-log.ts";
import { type Catalog, createCatalog } from "./catalog/catalog.ts";
import { createCatalogFreshness } from "./catalog/catalog-freshness.ts";
import { createRegistrySync, type RegistrySync } from "./catalog/registry-sync.ts";
import { createReplicaClaims } from "./catalog/replica-claims.ts";
import { createVersionStore, DEFAULT_KEY_PREFIX, type VersionStore } from "./catalog/version-store.ts";
import type { GatewayConfig } from "./config.ts";
import { type BackendListChanges, createBackendListChanges } from "./federation/backend-list-changes.ts";
import { type BackendPool, createBackendPool } from "./federation/backend-pool.ts";
import { DEFAULT_CLIENT_BACKEND_SESSIONS } from "./federation/client-backend-sessions.ts";
import { discoverCapabilities } from "./federation/discover-capabilities.ts";
import { fetchWithHopMarker, hopMarker, withHopMarker } from "./federation/gateway-hop.ts";
import { createHealthChecker } from "./federation/health-checker.ts";
import { createListRefetches, DEFAULT_LIST_REFETCH_INTERVAL_MS } from "./federation/list-refetches.ts";
import type { BackendTarget } from "./federation/mcp-connection.ts";
import type { RestartBackoff } from "./federation/stdio-process.ts";
import { createGovernanceEvents } from "./governance/governance-events.ts";
import { loadGovernance } from "./governance/governance-queries.ts";
import { createToolGovernance } from "./governance/tool-governance-service.ts";
import { createApiKeyStore } from "./identity/api-keys.ts";
import { createMcpAuth } from "./identity/mcp-auth.ts";
import { createOAuthVerifier } from "./identity/oauth-verifier.ts";
import { createProtectedResources } from "./identity/protected-resource.ts";
import type { Logger } from "./logger.ts";
import { createHeldCalls } from "./mcp/held-calls.ts";
import { createRequestStates } from "./mcp/request-state.ts";
import { createGatewayMetrics } from "./observability/metrics.ts";
import { createRequestContext, fetchWithRequestId, withRequestId } from "./observability/request-context.ts";
import { createToolCallLimiter } from "./rate-limit/tool-call-limiter.ts";
import { createDatabase, type RegistryDatabase } from "./registry/database.ts";
import type { ServiceRecord, StdioCommand } from "./registry/queries.ts";
import { createRegistryService, createStorageGuard, type RegistryService } from "./registry/registry-service.ts";
import { createBackendCredentials } from "./security/backend-credentials.ts";
import { createUrlPolicy, type Resolve } from "./security/url-policy.ts";
import { createMcpSessions } from "./sessions/mcp-sessions.ts";
import { createSessionBus, type SessionBus } from "./sessions/session-bus.ts";
import { deriveSessionSecret } from "./sessions/session-ids.ts";
import { openResourceChannel } from "./subscriptions/backend-resource-channel.ts";
import { createListenEvents, type ListenEvents } from "./subscriptions/listen-events.ts";
import { createResourceUpdates, type ResourceUpdates } from "./subscriptions/resource-updates.ts";

export interface Gateway {
  app: Hono;
  catalog: Catalog;
  pool: BackendPool;
  registry: RegistryService;
  sync: RegistrySync;
  database: RegistryDatabase;
  versionStore: VersionStore;
  audit: AuditLog;
  /** What `subscriptions/listen` streams are sent. */
  listen: ListenEvents;
  /** Clients' subscriptions to resources, and the backend subscriptions this replica holds for them. */
  resourceUpdates: ResourceUpdates;
  /** The listen streams this replica holds for 2026-07-28 backends' list changes. */
  backendListChanges: BackendListChanges;
  /** Ends the event streams clients hold open (list_changed), so a graceful shutdown can finish. */
  endStreams(): void;
  /** Stops watching and closes backend clients; closes the stores it created itself. */
  close(): Promise<void>;
}

export type GatewaySettings = Pick<
  GatewayConfig,
  | "apiKey"
  | "bearerToken"
  | "backendBearerToken"
  | "maxBodyBytes"
  | "bodyReadTimeoutMs"
  | "mcpPageSize"
  | "catalogPollIntervalMs"
  | "catalogReconcileIntervalMs"
  | "serviceListLimits"
  | "database"
  | "toolCallTimeoutMs"
  | "callLimits"
  | "backendConnectTimeoutMs"
  | "healthCheckIntervalMs"
  | "healthCheckTimeoutMs"
  | "circuitFailureThreshold"
  | "circuitOpenMs"
  | "mcpSessions"
> &
  Partial<
    Pick<
      GatewayConfig,
      | "nodeEnv"
      | "versionStore"
      | "allowedHosts"
      | "backendAllowlist"
      | "stdioCommands"
      | "stdioRestartMaxMs"
      | "secretsKey"
      | "viewerApiKey"
      | "access"
      | "staticTokenEnabled"
      | "publicUrl"
      | "oauth"
      | "rateLimit"
      | "audit"
      | "tracing"
      | "clientBackendSessions"
      | "listRefetchIntervalMs"
    >
  >;

/** The scopes MCP endpoints require when OAuth is off: what API keys are given by default. */
const DEFAULT_SCOPES = ["mcp:tools"];

export interface GatewayParts {
  log: Logger;
  /** Use this database instead of opening one from the settings (tests share a per-file database). */
  database?: RegistryDatabase;
  versionStore?: VersionStore;
  /** Use this bus between replicas instead of one from the settings (tests share an in-process bus). */
  sessionBus?: SessionBus;
  /** Export process metrics (CPU, memory, event loop) too; for the process's own gateway, not for tests. */
  processMetrics?: boolean;
  /** How backend host names are resolved for the URL policy; the system resolver unless a test fakes DNS. */
  resolveHost?: Resolve;
}

export async function createGateway(settings: GatewaySettings, parts: GatewayParts): Promise<Gateway> {
  const requestContext = createRequestContext();
  const log = withRequestId(parts.log, requestContext);
  // Imported only when tracing is on: OpenTelemetry's modules would otherwise hold memory for nothing.
  const tracing = settings.tracing && (await import("./observability/tracing.ts")).createTracing(settings.tracing);
  const database =
    parts.database ??
    (await createDatabase({
      url: settings.database.url,
      pgliteDir: settings.database.pgliteDir,
      poolMax: settings.database.poolMax,
      connectTimeoutMs: settings.database.connectTimeoutMs,
      statementTimeoutMs: settings.database.queryTimeoutMs,
    }));
  const versionStore = parts.versionStore ?? (await createVersionStore(settings.versionStore ?? {}));
  const claim = createReplicaClaims({ store: versionStore, log: log.child({ component: "claims" }) });
  const credentials = createBackendCredentials({
    secretsKey: settings.secretsKey,
    bearerToken: settings.backendBearerToken,
  });
  const targetOf = (service: ServiceRecord): BackendTarget => {
    if (service.command) return stdioTargetOf(service, service.command);
    try {
      return {
        name: service.name,
        url: service.url ?? "",
        headers: credentials.headersFor(credentials.open(service.secretHeaders)),
        ...(service.revision === null ? {} : { revision: service.revision }),
      };
    } catch (error) {
      log.error("cannot read the stored headers of a service; calling it without them", {
        service: service.name,
        error,
      });
      return {
        name: service.name,
        url: service.url ?? "",
        headers: credentials.headersFor({}),
        ...(service.revision === null ? {} : { revision: service.revision }),
      };
    }
  };
  const stdioTargetOf = (service: ServiceRecord, command: StdioCommand): BackendTarget => {
    try {
      return { name: service.name, stdio: { ...command, env: credentials.open(service.secretEnv) } };
    } catch (error) {
      log.error("cannot read the stored environment of a service; running it without it", {
        service: service.name,
        error,
      });
      return { name: service.name, stdio: { ...command, env: {} } };
    }
  };

  const urlPolicy = createUrlPolicy(settings.backendAllowlist ?? [], parts.resolveHost);
  const gatewaySecret = settings.mcpSessions.secret ?? deriveSessionSecret(settings.apiKey, settings.bearerToken);
  const marker = hopMarker(gatewaySecret);
  const pool = createBackendPool({
    connectTimeoutMs: settings.backendConnectTimeoutMs,
    callTimeoutMs: settings.toolCallTimeoutMs,
    decorateFetch: (fetch) => {
      const withRequestId = fetchWithHopMarker(marker, fetchWithRequestId(requestContext, fetch));
      return tracing ? tracing.decorateFetch(withRequestId) : withRequestId;
    },
    circuit: { failureThreshold: settings.circuitFailureThreshold, openMs: settings.circuitOpenMs },
    limits: settings.callLimits,
    // Called only once requests flow, after `refetchLists` below exists.
    onListChanged: (service) => refetchLists(service),
    // The update finds the revision again (and the lists, which a replacement may have changed too) and
    // records them, so that every replica reloads and speaks the new revision.
    onRevisionChanged: (service) => refetchLists(service, "backend speaks another MCP revision"),
    claim,
    refuse: (url) => urlPolicy.check(url),
    stdio: { commands: settings.stdioCommands ?? [], backoff: restartBackoff(settings.stdioRestartMaxMs) },
    clientSessions: settings.mcpSessions.enabled
      ? (settings.clientBackendSessions ?? DEFAULT_CLIENT_BACKEND_SESSIONS)
      : undefined,
    log: log.child({ component: "backends" }),
  });
  const healthChecker = createHealthChecker({
    pool,
    intervalMs: settings.healthCheckIntervalMs,
    timeoutMs: settings.healthCheckTimeoutMs,
    log: log.child({ component: "health-checks" }),
  });
  const sessionBus =
    parts.sessionBus ??
    (await createSessionBus({
      redisUrl: settings.versionStore?.redisUrl,
      keyPrefix: settings.versionStore?.keyPrefix ?? DEFAULT_KEY_PREFIX,
    }));
  const { enabled: sessionsEnabled, secret: sessionSecret, ttlMs: sessionTtlMs } = settings.mcpSessions;
  const sessions = sessionsEnabled
    ? createMcpSessions({
        secret: sessionSecret ?? deriveSessionSecret(settings.apiKey, settings.bearerToken),
        ttlMs: sessionTtlMs,
        bus: sessionBus,
        log: log.child({ component: "sessions" }),
        onEnded: (sessionKey) => pool.endClient(sessionKey),
      })
    : undefined;
  const listen = createListenEvents({ sessionBus, log: log.child({ component: "listen" }) });
  const heldCalls = createHeldCalls(sessionBus);
  // Its own fetch: a stream of resource updates may stay quiet for hours, so Bun's idle timeout must not cut it.
  const channelFetch = fetchWithHopMarker(marker, (url, init) =>
    fetch(url, { ...init, timeout: false, redirect: "manual" }),
  );
  const resourceUpdates = createResourceUpdates({
    sessionBus,
    open: (channel) =>
      openResourceChannel({
        ...channel,
        fetch: channelFetch,
        connectTimeoutMs: settings.backendConnectTimeoutMs,
        requestTimeoutMs: settings.toolCallTimeoutMs,
        maxEventBytes: settings.callLimits.maxAnswerBytes,
        refuse: (url) => urlPolicy.check(url),
        // Called only once subscriptions exist, after `refetchLists` below exists.
        onlistchanged: () => refetchLists(channel.target.name),
      }),
    toSession: (key, notification) => sessions?.listChanged.notify(key, notification),
    toListeners: (event) => listen.deliverHere(event),
    log: log.child({ component: "resource-subscriptions" }),
  });
  // 2026-07-28 backends send list changes only on a listen stream, which the gateway holds for each.
  const backendListChanges = createBackendListChanges({
    fetch: channelFetch,
    maxEventBytes: settings.callLimits.maxAnswerBytes,
    refuse: (url) => urlPolicy.check(url),
    // Called only once the catalog has loaded, after `refetchLists` below exists.
    onlistchanged: (service) => refetchLists(service),
    log: log.child({ component: "backend-list-changes" }),
  });
  const metrics = createGatewayMetrics({
    registry: new Registry(),
    backends: () => pool.states(),
    processMetrics: parts.processMetrics,
  });
  const apiKeys = createApiKeyStore(database.db);
  const audit = createAuditLog({
    db: database.db,
    settings: settings.audit ?? DEFAULT_AUDIT_SETTINGS,
    requestContext,
    log: log.child({ component: "audit" }),
    metrics: metrics.registry,
    // What a query may take: the last writes at shutdown get as long, not forever.
    closeGraceMs: settings.database.queryTimeoutMs,
  });
  const limiter = await createToolCallLimiter({
    settings: settings.rateLimit ?? { perMinute: 0, tools: {} },
    redisUrl: settings.versionStore?.redisUrl,
    keyPrefix: settings.versionStore?.keyPrefix ?? DEFAULT_KEY_PREFIX,
    log: log.child({ component: "rate-limit" }),
    metrics: metrics.registry,
  });
  const freshness = createCatalogFreshness(database.db);
  const catalog = createCatalog({
    // API keys travel with the catalog: one version bump, one reload, and no database read per request.
    loadServices: async () => {
      const [services] = await Promise.all([freshness.load(), apiKeys.reload()]);
      return services;
    },
    loadVirtualServers: () => listVirtualServers(database.db),
    loadGovernance: () => loadGovernance(database.db),
    onReload: (next, previous, durationMs) => {
      const targets = next.services.map(targetOf);
      pool.sync(targets);
      resourceUpdates.sync(targets);
      backendListChanges.sync(targets);
      sessions?.listChanged.announce(next, previous);
      listen.catalogReloaded();
      const reload = { version: next.version, services: next.services.length, tools: next.tools.length, durationMs };
      metrics.catalogReloaded(reload);
      log.debug("catalog reloaded", reload);
    },
  });
  const sync = createRegistrySync({
    store: versionStore,
    catalog,
    pollIntervalMs: settings.catalogPollIntervalMs,
    catalogStale: () => freshness.stale(),
    reconcileIntervalMs: settings.catalogReconcileIntervalMs,
    log,
  });
  const governance = createToolGovernance({
    db: database.db,
    announce: () => sync.announce(),
    record: createGovernanceEvents({ log, count: (event) => metrics.governanceEvent(event) }),
    storage: createStorageGuard(settings.database.queryTimeoutMs, log),
  });
  const registry = createRegistryService({
    db: database.db,
    // A URL backend's requests carry the hop marker, so one that leads back to the gateway is refused.
    discover: (target) =>
      discoverCapabilities(
        "url" in target ? { ...target, headers: withHopMarker(marker, target.headers) } : target,
        settings.backendConnectTimeoutMs,
        settings.serviceListLimits,
      ),
    credentials,
    urlPolicy,
    stdioCommands: settings.stdioCommands ?? [],
    announce: () => sync.announce(),
    onRefreshed: (previous, next) => governance.refreshed(previous, next),
    queryTimeoutMs: settings.database.queryTimeoutMs,
    onRejected: (service, rejected) => {
      for (const kind of new Set(rejected.map((r) => r.kind))) {
        metrics.definitionsRejected({ service, kind, count: rejected.filter((r) => r.kind === kind).length });
      }
    },
    log,
    audit,
  });
  // A backend announced new tools, resources or prompts (or was replaced in place): pull them again.
  const refetches = createListRefetches({
    minIntervalMs: settings.listRefetchIntervalMs ?? DEFAULT_LIST_REFETCH_INTERVAL_MS,
    claim,
    log,
    // Outside the request that carried the announcement: the change is the gateway's own, not its caller's.
    pull: (service, why) =>
      requestContext.run(crypto.randomUUID(), async () => {
        const changed = await registry.refetch(service);
        log.info(changed ? `${why}; pulled it again` : `${why}; pulled it again, unchanged`, { service });
      }),
  });
  const refetchLists = (service: string, why = "backend announced a list change") => refetches.request(service, why);
  await sync.start();
  // 0 turns active checks off; circuits then recover through a trial call after their cool-down.
  if (settings.healthCheckIntervalMs > 0) healthChecker.start();

  const { oauth } = settings;
  const scopes = oauth?.scopes ?? DEFAULT_SCOPES;
  const protectedResources = oauth
    ? createProtectedResources(settings.publicUrl ?? "http://localhost", oauth)
    : undefined;
  const mcpAuth = createMcpAuth({
    staticToken: settings.staticTokenEnabled === false ? undefined : settings.bearerToken,
    apiKeys,
    scopes,
    oauth:
      oauth && protectedResources
        ? { verifier: createOAuthVerifier(oauth), resources: protectedResources, audience: oauth.audience }
        : undefined,
    requestContext,
  });

  const { app, endStreams: endConsoleStreams } = createApp({
    apiKey: settings.apiKey,
    viewerApiKey: settings.viewerApiKey,
    prebuiltConsole: settings.nodeEnv === "production",
    bearerToken: settings.bearerToken,
    views: createCatalogViews({
      catalog,
      policy: settings.access ?? { adminScope: DEFAULT_ADMIN_SCOPE, adminRole: DEFAULT_ADMIN_ROLE },
    }),
    virtualServers: createVirtualServers({ db: database.db, announce: () => sync.announce(), log, audit }),
    maxBodyBytes: settings.maxBodyBytes,
    bodyReadTimeoutMs: settings.bodyReadTimeoutMs,
    pageSize: settings.mcpPageSize,
    requestStates: createRequestStates(gatewaySecret, () => requestContext.identity()?.subject),
    heldCalls,
    hopMarker: marker,
    allowedHosts: settings.allowedHosts ?? [],
    registry,
    governance,
    catalog,
    pool,
    pingDatabase: () => database.ping(),
    versionStore: { kind: versionStore.kind, degraded: () => sync.degraded },
    log,
    metrics,
    requestContext,
    sessions,
    listen,
    resourceUpdates,
    mcpAuth,
    protectedResources,
    apiKeyAdmin: { db: database.db, defaultScopes: scopes, announce: () => sync.announce() },
    admit: (tool) => limiter.admit(requestContext.identity(), tool),
    audit,
    onToolCall: (call) => {
      metrics.toolCall(call);
      log.debug("tool call", call);
      audit.record({ kind: "tool_call", action: "tools/call", ...call });
    },
    tracing,
  });

  return {
    app,
    catalog,
    pool,
    registry,
    sync,
    database,
    versionStore,
    audit,
    listen,
    resourceUpdates,
    backendListChanges,
    endStreams() {
      sessions?.listChanged.close();
      listen.endStreams();
      endConsoleStreams();
    },
    async close() {
      sync.stop();
      healthChecker.stop();
      sessions?.close();
      heldCalls.close();
      listen.close();
      resourceUpdates.close();
      backendListChanges.close();
      refetches.close();
      await pool.close();
      await Promise.all([audit.close(), limiter.close()]);
      if (!parts.sessionBus) await sessionBus.close();
      if (!parts.versionStore) await versionStore.close();
      if (!parts.database) await database.close();
      // Last, so that the spans of requests that finished while closing are sent too.
      await tracing?.close();
    },
  };
}

/** Restarts start half a second after a death and double up to the longest delay. */
function restartBackoff(maxMs: number | undefined): RestartBackoff | undefined {
  return maxMs === undefined ? undefined : { initialMs: Math.min(500, maxMs), maxMs };
}
