/**
 * A session's output as an AsyncIterable fed by callbacks (pipes, a socket, a growing log). The
 * producer pushes chunks, then ends (or fails) the queue; the reader gets them in order. While no
 * one reads, chunks wait here: a session whose output nobody reads keeps it until `close`.
 */
import type { OutputChunk } from "../../runtime.js";

export class ChunkQueue implements AsyncIterable<OutputChunk> {
  private readonly chunks: OutputChunk[] = [];
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly endedPromise: Promise<void>;
  private markEnded!: () => void;

  constructor() {
    this.endedPromise = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  push(stream: OutputChunk["stream"], data: Uint8Array): void {
    if (this.done || data.length === 0) return;
    this.chunks.push({ stream, data });
    this.notify();
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
