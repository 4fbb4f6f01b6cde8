/**
 * Request bodies of the admin API. The same schemas validate requests and describe them to clients.
 */
import { z } from "zod";

export const serviceName = z
  .string()
  .min(1, "name must not be empty")
  .max(63, "name must be at most 63 characters")
  .regex(/^[a-z0-9_-]+$/, "name may contain only lowercase letters, digits, '-' and '_'");

export const serviceUrl = z
  .string()
  .max(2048, "url must be at most 2048 characters")
  .refine((value) => URL.canParse(value), "url must be an absolute URL")
  .refine((value) => !URL.canParse(value) || ["http:", "https:"].includes(new URL(value).protocol), "url must use http or https")
  .refine((value) => {
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === "" && url.password === "";
  }, "url must not contain credentials; pass them as headers instead");

export const registerBody = z.strictObject({ name: serviceName, url: serviceUrl });
export const updateBody = z.strictObject({ url: serviceUrl.optional() });

export type RegisterBody = z.infer<typeof registerBody>;
export type UpdateBody = z.infer<typeof updateBody>;
