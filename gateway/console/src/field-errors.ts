import type { Issue } from "./api.ts";

/** The API's validation issues grouped by the form field they concern (the first part of their path). */
export function issuesByField(issues: Issue[]): Record<string, string[]> {
  const byField: Record<string, string[]> = {};
  for (const issue of issues) {
    const field = issue.path.split(".")[0] ?? "(body)";
    byField[field] = [...(byField[field] ?? []), issue.message];
  }
  return byField;
}

/** `Name: value` lines as a header record; blank lines are skipped. */
export function parseHeaderLines(text: string): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return Object.keys(headers).length ? headers : undefined;
}
