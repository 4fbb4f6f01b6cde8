/**
 * Result schemas that accept what a backend sent without reshaping it. The SDK's own schemas strip
 * unknown fields and fill defaults; a gateway must forward results exactly as the backend produced them.
 * Entries are not checked here: one bad entry must not fail its whole list (see screen-definitions.ts).
 */
import { z } from "zod";

export const RawToolListSchema = z.looseObject({
  tools: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

export const RawResourceListSchema = z.looseObject({
  resources: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

export const RawResourceTemplateListSchema = z.looseObject({
  resourceTemplates: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

export const RawPromptListSchema = z.looseObject({
  prompts: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});
