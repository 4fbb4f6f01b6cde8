/**
 * Result schemas that accept what a backend sent without reshaping it. The SDK's own schemas strip
 * unknown fields and fill defaults; a gateway must forward results exactly as the backend produced them.
 */
import { z } from "zod";

export const RawToolListSchema = z.looseObject({
  tools: z.array(z.looseObject({ name: z.string() })),
  nextCursor: z.string().optional(),
});

export const RawResultSchema = z.looseObject({});
