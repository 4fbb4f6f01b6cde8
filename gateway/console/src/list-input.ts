/** A comma- or line-separated list typed into a field, as the API's string arrays. */
export function parseList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
}
