/**
 * The admin API of tool governance, under the service it governs: overrides and limits of one tool,
 * limits of the whole service, the pinning mode, the tools waiting for approval and their approval.
 */
import { Hono } from "hono";
import type { AdminAuth } from "../access/admin-auth.ts";
import { adminBodyLimit, parseName, readBody } from "../admin/admin-routes.ts";
import { HttpError, toIssues } from "../http-error.ts";
import { pinningBody, toolLimits, toolName, toolOverrideBody } from "./tool-governance.ts";
import type { ToolGovernance } from "./tool-governance-service.ts";

export function createGovernanceRoutes({ governance, auth }: { governance: ToolGovernance; auth: AdminAuth }): Hono {
  const app = new Hono();

  app.put("/services/:name/tools/:tool", auth.write, adminBodyLimit, async (c) => {
    const { service, tool } = params(c.req.param("name"), c.req.param("tool"));
    const override = await readBody(c, toolOverrideBody, true);
    await governance.setOverride(service, tool, override);
    return c.json({ service, tool, override });
  });

  app.delete("/services/:name/tools/:tool", auth.write, async (c) => {
    const { service, tool } = params(c.req.param("name"), c.req.param("tool"));
    await governance.removeOverride(service, tool);
    return c.json({ service, tool, removed: true });
  });

  app.post("/services/:name/tools/:tool/approve", auth.write, async (c) => {
    const { service, tool } = params(c.req.param("name"), c.req.param("tool"));
    return c.json({ service, ...(await governance.approve(service, tool)) });
  });

  app.put("/services/:name/limits", auth.write, adminBodyLimit, async (c) => {
    const service = parseName(c.req.param("name"));
    const limits = await readBody(c, toolLimits, true);
    await governance.setLimits(service, limits);
    return c.json({ service, limits });
  });

  app.put("/services/:name/pinning", auth.write, adminBodyLimit, async (c) => {
    const service = parseName(c.req.param("name"));
    const { mode } = await readBody(c, pinningBody, true);
    const pending = await governance.setPinning(service, mode);
    return c.json({ service, pinning: mode, pending });
  });

  app.get("/services/:name/pending", auth.read(), async (c) => {
    const service = parseName(c.req.param("name"));
    return c.json({ service, pending: await governance.pending(service) });
  });

  for (const [path, allow] of [
    ["/services/:name/tools/:tool", "PUT, DELETE"],
    ["/services/:name/tools/:tool/approve", "POST"],
    ["/services/:name/limits", "PUT"],
    ["/services/:name/pinning", "PUT"],
    ["/services/:name/pending", "GET"],
  ] as const) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      throw new HttpError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.routePath}; use ${allow}`);
    });
  }
  return app;
}

function params(name: string, tool: string): { service: string; tool: string } {
  const parsed = toolName.safeParse(tool);
  if (!parsed.success) throw new HttpError("bad_request", "invalid tool name in the path", toIssues(parsed.error));
  return { service: parseName(name), tool: parsed.data };
}
