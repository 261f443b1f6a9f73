/**
 * The dashboard redraws on a frame clock, not on every change: a change only asks for a frame, and
 * frames come at most every `minIntervalMs` (33 ms: 30 frames a second however fast lines arrive).
 * A change after a quiet spell is drawn at once, so a key press shows within a frame. The timer is
 * injectable so tests run frames by hand.
 *
 * Frames also keep to a CPU budget: told what frames cost (`reportCost`), the clock spaces them at
 * least COST_FACTOR times that apart, so drawing takes at most about a third of a core however slow
 * the machine or large the terminal, and the rest is left for reading the logs.
 */

export interface Timer {
  now(): number;
  /** Runs `fn` after `ms`; returns the function that cancels it. */
  after(fn: () => void, ms: number): () => void;
  /** Runs `fn` as soon as the current callback returns (default: `after(fn, 0)`). */
  soon?(fn: () => void): () => void;
}

export const realTimer: Timer = {
  now: () => performance.now(),
  after: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
  // A key's frame must not queue behind the log streams' pending reads: a microtask runs first.
  soon: (fn) => {
    let live = true;
    queueMicrotask(() => {
      if (live) fn();
    });
    return () => {
      live = false;
    };
  },
};

export const FRAME_MS = 33;
/** Frames are spaced at least this many times what they cost. */
export const COST_FACTOR = 3;
/** However costly, a frame at least every 250 ms: the screen must still follow. */
export const MAX_INTERVAL_MS = 250;

export class FrameClock {
  private last = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | undefined;
  private stopped = false;
  private cost: number | undefined;
  private spacing: number;

  constructor(
    private readonly draw: () => void,
    private readonly minIntervalMs: number = FRAME_MS,
    private readonly timer: Timer = realTimer,
  ) {
    this.spacing = minIntervalMs;
  }

  /** The least time between two frames now. */
  get interval(): number {
    return this.spacing;
  }

  /** What the last frame cost to draw, in ms (a moving average smooths single slow frames). */
  reportCost(ms: number): void {
    this.cost = this.cost === undefined ? ms : this.cost * 0.8 + ms * 0.2;
    this.spacing = Math.min(MAX_INTERVAL_MS, Math.max(this.minIntervalMs, this.cost * COST_FACTOR));
  }

  /**
   * Something changed: draw at the next frame (one frame however many changes come before it).
   * `urgent` (a key was pressed) draws at once, whatever the budget: keys come at a person's pace.
   */
  request(urgent = false): void {
    if (this.stopped) return;
    if (urgent && this.cancel) {
      this.cancel();
      this.cancel = undefined;
    }
    if (this.cancel) return;
    const frame = (): void => {
      this.cancel = undefined;
      this.last = this.timer.now();
      this.draw();
    };
    if (urgent) {
      this.cancel = this.timer.soon ? this.timer.soon(frame) : this.timer.after(frame, 0);
      return;
    }
    this.cancel = this.timer.after(frame, Math.max(0, this.last + this.spacing - this.timer.now()));
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }
}
