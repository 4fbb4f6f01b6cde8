/**
 * `work`, or a rejection with `timedOut()` once `ms` pass first. The work itself is not stopped: this is
 * for waits the caller must bound (a store, a database, a probe), not for cancelling what it waits on.
 */
export function withinTime<T>(
  work: Promise<T>,
  ms: number,
  timedOut: () => Error = () => new Error(`no answer within ${ms} ms`),
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
