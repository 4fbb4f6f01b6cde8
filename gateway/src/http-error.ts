/**
 * One error shape for the gateway's HTTP API: `{ "error": { "code", "message", "issues"? } }`.
 * Handlers throw HttpError; `errorHandler` renders it and hides the internals of anything unexpected.
 */
import type { Context, ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { Logger } from "./logger.ts";

const STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  bad_gateway: 502,
  service_unavailable: 503,
  internal_error: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof STATUS;

export interface ValidationIssue {
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ValidationIssue[],
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return STATUS[this.code];
  }
}

export function errorBody(code: ErrorCode, message: string, issues?: ValidationIssue[]) {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}

function renderError(c: Context, error: HttpError): Response {
  return c.json(errorBody(error.code, error.message, error.issues), error.status);
}

/** Zod issues as `{ path, message }`, the path written like `headers.Authorization`. */
export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => {
    // A rejected record key says only "Invalid key in record"; the reason is in its nested issues.
    const nested = issue.code === "invalid_key" ? issue.issues.map((i) => i.message).join("; ") : "";
    return {
      path: issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)",
      message: nested ? `invalid key: ${nested}` : issue.message,
    };
  });
}

export function createErrorHandler(log: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof HttpError) return renderError(c, error);
    // Hono raises its own HTTPException (e.g. from bodyLimit); keep its status, use our shape.
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return c.json(errorBody("bad_request", error.message || "bad request"), status as ContentfulStatusCode);
    }
    log.error("unhandled error", { error, path: c.req.path });
    return c.json(errorBody("internal_error", "internal error"), 500);
  };
}
