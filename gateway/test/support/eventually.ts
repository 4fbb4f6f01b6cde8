/**
 * Waits until `condition` holds, polling; for effects a test cannot await directly (a timer's round, a
 * socket closing). Bounded by the test's own timeout rather than a clock of its own.
 */
export async function eventually(condition: () => boolean, pollMs = 10): Promise<void> {
  while (!condition()) await Bun.sleep(pollMs);
}

/** `eventually` for a condition that has to ask something (a database, a server) to know. */
export async function eventuallyAsync(condition: () => Promise<boolean>, pollMs = 10): Promise<void> {
  while (!(await condition())) await Bun.sleep(pollMs);
}
