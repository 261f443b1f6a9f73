/**
 * The dashboard redraws on a frame clock, not on every change: a change only asks for a frame, and
 * frames come at most every `minIntervalMs` (33 ms: 30 frames a second however fast lines arrive).
 * A change after a quiet spell is drawn at once, so a key press shows within a frame. The timer is
 * injectable so tests run frames by hand.
 */

export interface Timer {
  now(): number;
  /** Runs `fn` after `ms`; returns the function that cancels it. */
  after(fn: () => void, ms: number): () => void;
}

export const realTimer: Timer = {
  now: () => performance.now(),
  after: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

export const FRAME_MS = 33;

export class FrameClock {
  private last = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly draw: () => void,
    private readonly minIntervalMs: number = FRAME_MS,
    private readonly timer: Timer = realTimer,
  ) {}

  /** Something changed: draw at the next frame (one frame however many changes come before it). */
  request(): void {
    if (this.cancel || this.stopped) return;
    const wait = Math.max(0, this.last + this.minIntervalMs - this.timer.now());
    this.cancel = this.timer.after(() => {
      this.cancel = undefined;
      this.last = this.timer.now();
      this.draw();
    }, wait);
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
  }
}
