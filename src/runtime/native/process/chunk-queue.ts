/**
 * A session's output as an AsyncIterable fed by callbacks (pipes, a socket, a growing log). The
 * producer pushes chunks, then ends (or fails) the queue; the reader gets them in order. Past
 * `highWater` bytes waiting, `onFull` asks the producer to pause (a reader slower than the
 * process must not grow berth's memory without bound), and `onDrained` lets it go on once the
 * reader has caught up to a quarter of that.
 */
import type { OutputChunk } from "../../runtime.js";

export interface Pressure {
  readonly highWater?: number;
  onFull(): void;
  onDrained(): void;
}

const DEFAULT_HIGH_WATER = 1024 * 1024;

export class ChunkQueue implements AsyncIterable<OutputChunk> {
  private readonly chunks: OutputChunk[] = [];
  private buffered = 0;
  private paused = false;
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly endedPromise: Promise<void>;
  private markEnded!: () => void;

  constructor(private readonly pressure?: Pressure) {
    this.endedPromise = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  push(stream: OutputChunk["stream"], data: Uint8Array): void {
    if (this.done || data.length === 0) return;
    this.chunks.push({ stream, data });
    this.buffered += data.length;
    if (!this.paused && this.buffered > this.highWater) {
      this.paused = true;
      this.pressure?.onFull();
    }
    this.notify();
  }

  private get highWater(): number {
    return this.pressure?.highWater ?? DEFAULT_HIGH_WATER;
  }

  /** More than the high-water mark is waiting to be read. */
  get full(): boolean {
    return this.buffered > this.highWater;
  }

  private taken(length: number): void {
    this.buffered -= length;
    if (this.paused && this.buffered <= this.highWater / 4) {
      this.paused = false;
      this.pressure?.onDrained();
    }
  }

  /** No more output; what was pushed is still read. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.markEnded();
    this.notify();
  }

  /** The reader sees `error` after the chunks already pushed. */
  fail(error: Error): void {
    if (this.done) return;
    this.failure = error;
    this.end();
  }

  /** Drops what is buffered and ends the queue (a closed session). */
  clear(): void {
    this.chunks.length = 0;
    this.taken(this.buffered);
    this.end();
  }

  /** Resolves once the producer has ended the queue (chunks may still wait to be read). */
  get ended(): Promise<void> {
    return this.endedPromise;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<OutputChunk> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.taken(chunk.data.length);
        yield chunk;
        continue;
      }
      if (this.done) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
