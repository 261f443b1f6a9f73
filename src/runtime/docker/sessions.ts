/**
 * Hijacked connections as berth sessions (attach, exec), and the rule that an aborted stream
 * ends quietly. Output is demultiplexed unless the container or exec has a TTY (one raw stream);
 * stdin's `end()` half-closes the socket so the process sees EOF while its output still arrives.
 */
import { Writable } from "node:stream";
import type { OutputChunk, StreamSession } from "../runtime.js";
import { demux, raw } from "./streams.js";
import type { HijackedStream } from "./transport.js";

/** Ends `source` without an error once `signal` has aborted (the request's failure is the abort). */
export async function* endOnAbort<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
): AsyncIterable<T> {
  if (signal?.aborted) return;
  try {
    for await (const item of source) {
      yield item;
      if (signal?.aborted) return;
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw err;
  }
}

export interface SessionOptions {
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly resize: (size: { readonly rows: number; readonly cols: number }) => Promise<void>;
  readonly signal?: AbortSignal | undefined;
}

export interface TrackedSession extends StreamSession {
  /** Resolves when the output has ended, been closed, or been read to the end by `drain`. */
  readonly ended: Promise<void>;
  /** Reads and drops the output if nobody has started reading it; then waits for its end. */
  drain(): Promise<void>;
}

export function openSession(conn: HijackedStream, options: SessionOptions): TrackedSession {
  let started = false;
  let closed = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });

  const close = (): void => {
    if (closed) return;
    closed = true;
    conn.destroy();
    markEnded();
  };
  const onAbort = (): void => close();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) close();

  const framed = options.tty ? raw(conn.output) : demux(conn.output);
  async function* read(): AsyncGenerator<OutputChunk> {
    started = true;
    try {
      for await (const chunk of framed) yield chunk;
    } catch (err) {
      // Closing the session (or aborting it) cuts the socket: that is the end, not a failure.
      if (!closed) throw err;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      markEnded();
    }
  }
  const output = read();

  const stdin = options.stdin
    ? new Writable({
        write(chunk: Buffer, _encoding, callback) {
          conn.input.write(chunk, (err) => callback(err ?? null));
        },
        final(callback) {
          // Shut down the write side only: the engine passes EOF on and keeps sending output.
          conn.input.end();
          callback();
        },
      })
    : undefined;

  return {
    output,
    stdin,
    resize: options.resize,
    close,
    ended,
    async drain() {
      if (!started && !closed) {
        for await (const _chunk of output) {
          // Dropped: nobody asked for the output, only for the end of it.
        }
      }
      await ended;
    },
  };
}
