/**
 * Forwards resources/read and prompts/get to the service that owns the resource or prompt and returns
 * its result as the service sent it. Unlike a tool call, neither result has a way to say "failed", so
 * an unreachable service is a JSON-RPC error that names it; anything else the service answers with is
 * thrown as it came. A 2026-07-28 backend's input-required result is relayed as for a tool call (see
 * input-required-round.ts), or played with a 2025 client (legacy-input-rounds.ts); a client that
 * cannot answer it gets an error. A 2025 backend that asks a 2026-07-28 client during the request is
 * held as during a tool call (held-calls.ts). The backend's log messages during the request reach the
 * client as during a tool call.
 */

import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { notPermitted } from "../access/not-permitted.ts";
import type { CatalogView } from "../catalog/catalog.ts";
import {
  type BackendPool,
  BackendUnavailableError,
  CallLimitError,
  type CallOptions,
} from "../federation/backend-pool.ts";
import { checkResumed, continuation } from "./input-required-round.ts";
import { RESOURCE_NOT_FOUND } from "./json-rpc-errors.ts";
import { type Relay, relayRounds } from "./relay-rounds.ts";
import { logRelay, type RouteOptions } from "./route-tool-call.ts";

export interface ForwardRouting {
  catalog: CatalogView;
  pool: BackendPool;
}

export async function routeResourceRead(
  { catalog, pool }: ForwardRouting,
  uri: string,
  { inputRequired, onlog, ...rest }: RouteOptions = {},
): Promise<Record<string, unknown>> {
  const options: CallOptions = { ...rest, onnotification: logRelay(onlog) };
  const snapshot = catalog.snapshot();
  const service = snapshot.resourceOwner(uri);
  if (service === undefined && snapshot.withheld?.resource(uri)) throw notPermitted(`the resource "${uri}"`);
  if (service === undefined) throw new ProtocolError(RESOURCE_NOT_FOUND, "Resource not found", { uri });
  checkResumed(inputRequired, service, uri);
  const send = (more?: Record<string, unknown>, sentOptions: CallOptions = options) =>
    forward(
      pool,
      service,
      "resources/read",
      { uri, ...continuation(inputRequired), ...more },
      `The resource "${uri}" cannot be read right now; try again later.`,
      sentOptions,
    );
  return relayed({
    round: inputRequired,
    service,
    name: uri,
    what: `the resource "${uri}"`,
    send,
    options,
  });
}

export async function routePromptGet(
  { catalog, pool }: ForwardRouting,
  name: string,
  args: Record<string, string> | undefined,
  { inputRequired, onlog, ...rest }: RouteOptions = {},
): Promise<Record<string, unknown>> {
  const options: CallOptions = { ...rest, onnotification: logRelay(onlog) };
  const snapshot = catalog.snapshot();
  const route = snapshot.promptRoutes.get(name);
  if (!route && snapshot.withheld?.prompts.has(name)) throw notPermitted(`the prompt "${name}"`);
  if (!route)
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown prompt "${name}". Call prompts/list to see the available prompts.`,
    );
  checkResumed(inputRequired, route.service, name);
  const params = {
    name: route.prompt,
    ...(args === undefined ? {} : { arguments: args }),
    ...continuation(inputRequired),
  };
  const send = (more?: Record<string, unknown>, sentOptions: CallOptions = options) =>
    forward(
      pool,
      route.service,
      "prompts/get",
      more ? { ...params, ...more } : params,
      `The prompt "${name}" cannot be used right now; try again later.`,
      sentOptions,
    );
  return relayed({
    round: inputRequired,
    service: route.service,
    name,
    what: `the prompt "${name}"`,
    send,
    options,
  });
}

/** The result for the client, or an error when it cannot answer what the service asks. */
async function relayed(relay: Relay): Promise<Record<string, unknown>> {
  const outcome = await relayRounds(relay);
  if ("failure" in outcome) throw new ProtocolError(ProtocolErrorCode.InvalidRequest, outcome.failure);
  return outcome.result;
}

/** Sends one request to `service`; an unreachable or saturated service becomes an error that names it, with `advice`. */
export async function forward(
  pool: BackendPool,
  service: string,
  method: string,
  params: Record<string, unknown>,
  advice: string,
  options: CallOptions,
): Promise<Record<string, unknown>> {
  try {
    return await pool.request(service, method, params, options);
  } catch (error) {
    if (!(error instanceof BackendUnavailableError || error instanceof CallLimitError)) throw error;
    throw new ProtocolError(ProtocolErrorCode.InternalError, `${error.message}. ${advice}`, { service });
  }
}
