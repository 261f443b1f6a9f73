/** Waiting on the fake's world: until a check holds, or until a reader goes away. */

/** Waits until `check` holds, woken by `onChange`; ends with the signal's reason when it aborts. */
export function until<T>(
  subscribe: (wake: () => void) => () => void,
  check: () => T | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = check();
    if (done !== undefined) return resolve(done);
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      unsubscribe();
      reject(signal?.reason);
    };
    const unsubscribe = subscribe(() => {
      const value = check();
      if (value === undefined) return;
      unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves on abort (never rejects); for streams that end cleanly when their reader goes away. */
export const aborted = (signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
