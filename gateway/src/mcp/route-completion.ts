/**
 * Forwards completion/complete to the service that owns the prompt or resource template its `ref`
 * names, under the name that service knows it by. The gateway does not record which backends announced
 * `completions`, so it announces the capability whenever a service has a prompt or template, and a
 * backend without completions (method not found) is answered with no suggestions rather than an error:
 * a client asking while the user types should see an empty list, not a failure.
 */
import { type CompleteRequestParams, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { templateOwners } from "../access/catalog-filter.ts";
import { notPermitted } from "../access/not-permitted.ts";
import type { CatalogSnapshot } from "../catalog/catalog-snapshot.ts";
import type { CallOptions } from "../federation/backend-pool.ts";
import { RESOURCE_NOT_FOUND } from "./json-rpc-errors.ts";
import { type ForwardRouting, forward } from "./route-resources-and-prompts.ts";

const NO_SUGGESTIONS = { completion: { values: [], hasMore: false } };

/**
 * Whether any service has a prompt or resource template to complete. Judged on the whole catalog, not
 * the caller's view, so that completing something outside the view is refused as prompts/get refuses it
 * rather than met by "method not found".
 */
export function offersCompletions(snapshot: CatalogSnapshot): boolean {
  return snapshot.services.some((service) => service.prompts.length > 0 || service.resourceTemplates.length > 0);
}

export async function routeCompletion(
  { catalog, pool }: ForwardRouting,
  params: CompleteRequestParams,
  options: CallOptions = {},
): Promise<Record<string, unknown>> {
  const snapshot = catalog.snapshot();
  const { service, ref, what } = target(snapshot, params.ref);
  try {
    return await forward(
      pool,
      service,
      "completion/complete",
      { ...params, ref },
      `Completions for ${what} are not available right now; try again later.`,
      options,
    );
  } catch (error) {
    if (error instanceof ProtocolError && error.code === ProtocolErrorCode.MethodNotFound) return NO_SUGGESTIONS;
    throw error;
  }
}

/** The owning service and the `ref` as it knows it; refused like prompts/get and resources/read otherwise. */
function target(
  snapshot: CatalogSnapshot,
  ref: CompleteRequestParams["ref"],
): { service: string; ref: CompleteRequestParams["ref"]; what: string } {
  if (ref.type === "ref/prompt") {
    const what = `the prompt "${ref.name}"`;
    const route = snapshot.promptRoutes.get(ref.name);
    if (route) return { service: route.service, ref: { ...ref, name: route.prompt }, what };
    if (snapshot.withheld?.prompts.has(ref.name)) throw notPermitted(what);
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown prompt "${ref.name}". Call prompts/list to see the available prompts.`,
    );
  }
  const what = `the resource template "${ref.uri}"`;
  const listed = snapshot.resourceTemplates.some((t) => t.uriTemplate === ref.uri);
  const service = listed ? templateOwners(snapshot).get(ref.uri) : undefined;
  if (service !== undefined) return { service, ref, what };
  if (snapshot.withheld?.template(ref.uri)) throw notPermitted(what);
  throw new ProtocolError(RESOURCE_NOT_FOUND, "Resource template not found", { uri: ref.uri });
}
