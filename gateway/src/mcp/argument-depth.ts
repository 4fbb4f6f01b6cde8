/**
 * How deep tool arguments may nest. JSON.parse in Bun takes any depth, but JSON.stringify and every
 * recursive walk after it (schema validation, the backend's own parser) overflow the stack somewhere in
 * the tens of thousands: such arguments are refused as the client's error before anything recurses.
 * Their size is already bounded by the request body limit (MAX_BODY_BYTES).
 */

/** Far beyond any real tool's arguments, far below where a recursive walk gets into trouble. */
export const MAX_ARGUMENT_DEPTH = 100;

/** Whether `value` has objects or arrays nested more than `maxDepth` levels deep; walks without recursion. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value !== "object" || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return true;
    for (const child of Object.values(item.value)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth });
    }
  }
  return false;
}
