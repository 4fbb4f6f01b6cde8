/**
 * The id of the HTTP request being served, and once its credential is checked the caller's Identity,
 * carried through async calls so that log lines, calls to backends and the MCP handlers can read them
 * without every function passing them along. One context per gateway, so two gateways in one process
 * keep their requests apart.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { FetchLike } from "@modelcontextprotocol/client";
import { withHeader } from "../federation/with-header.ts";
import type { Identity } from "../identity/identity.ts";
import type { LogFields, Logger, LogLevel } from "../logger.ts";

export const REQUEST_ID_HEADER = "X-Request-Id";

/** Ids a client may choose: short, and free of anything that could forge a log line or a header. */
const ACCEPTABLE_ID = /^[\w.-]{1,128}$/;

export interface RequestContext {
  /** Runs `fn` as the handling of the request `requestId`. */
  run<T>(requestId: string, fn: () => T): T;
  /** The id of the request being served, or undefined outside of one. */
  requestId(): string | undefined;
  /** Runs `fn`, within the current request, as done on behalf of `identity`. */
  runAs<T>(identity: Identity, fn: () => T): T;
  /** Who the request being served is for, once an MCP endpoint's auth has checked its credential. */
  identity(): Identity | undefined;
}

interface RequestState {
  requestId: string;
  identity?: Identity;
}

export function createRequestContext(): RequestContext {
  const storage = new AsyncLocalStorage<RequestState>();
  return {
    run: (requestId, fn) => storage.run({ requestId }, fn),
    requestId: () => storage.getStore()?.requestId,
    runAs: (identity, fn) =>
      storage.run({ requestId: storage.getStore()?.requestId ?? crypto.randomUUID(), identity }, fn),
    identity: () => storage.getStore()?.identity,
  };
}

/** The client's `X-Request-Id` when it is acceptable, so its logs and ours correlate; otherwise a new one. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && ACCEPTABLE_ID.test(header) ? header : crypto.randomUUID();
}

/** A logger that adds the current request id to every line written while a request is served. */
export function withRequestId(log: Logger, context: RequestContext): Logger {
  const add = (fields?: LogFields): LogFields | undefined => {
    const requestId = context.requestId();
    return requestId === undefined ? fields : { requestId, ...fields };
  };
  // A line below the level costs nothing: a tool call's debug line was built for every call otherwise.
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (log.enabled(level)) log[level](message, add(fields));
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => withRequestId(log.child(fields), context),
    enabled: (level) => log.enabled(level),
  };
}

/**
 * Wraps the fetch of a backend client's transport so that it sends the current request id as
 * `X-Request-Id`: a backend's logs then name the gateway request that caused the call. The id is read
 * per HTTP request, so one reused client serves many gateway requests correctly.
 */
export function fetchWithRequestId(context: RequestContext, inner: FetchLike = fetch): FetchLike {
  return (url, init) => {
    const requestId = context.requestId();
    if (requestId === undefined) return inner(url, init);
    return inner(
      url,
      withHeader(init, REQUEST_ID_HEADER, () => requestId),
    );
  };
}
