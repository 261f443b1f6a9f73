/**
 * Changed paths gathered into batches, as docker compose's `watch.BatchDebounceEvents` gathers
 * them: each change restarts a 500 ms quiet period (`QuietPeriod`), and when it ends the distinct
 * paths seen go out as one batch. An editor saving many files, or a branch switch, becomes one
 * sync rather than hundreds.
 *
 * Batches are handled one at a time: paths that change while one is being handled wait for the
 * next, so a rebuild never runs beside a sync of the same service.
 */

/** Compose's `watch.QuietPeriod`. */
export const QUIET_PERIOD_MS = 500;

/** The timers the batcher uses; tests pass a manual clock, so no test sleeps. */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Batcher {
  private pending = new Set<string>();
  private timer: unknown;
  private busy: Promise<void> = Promise.resolve();
  private closed = false;

  /**
   * @param handle called with each batch (distinct paths, in the order first seen); the next batch
   *   waits for its promise. A rejection is the caller's to report (`onError`); later batches go on.
   */
  constructor(
    private readonly handle: (paths: readonly string[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly clock: Clock = realClock,
    private readonly quietMs: number = QUIET_PERIOD_MS,
  ) {}

  /** One changed path: the quiet period starts again. */
  add(changed: string): void {
    if (this.closed) return;
    this.pending.add(changed);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.flush(), this.quietMs);
  }

  /** Sends what is pending now (the quiet period ended). */
  flush(): void {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Set();
    this.busy = this.busy.then(() => this.handle(batch)).catch((error: unknown) => this.onError(error));
  }

  /** Drops what is pending and waits for the batch being handled, if any. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await this.busy;
  }

  /** Settles once every batch sent so far has been handled (for tests and a clean stop). */
  idle(): Promise<void> {
    return this.busy;
  }
}
