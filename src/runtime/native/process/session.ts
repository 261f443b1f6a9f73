/**
 * A session (attach, exec) from its parts: the output queue, stdin, resize, and what closing
 * releases. Closing, or aborting the caller's signal, drops the output not yet read and releases
 * the connection; the process itself goes on, as it does when a Docker client hangs up.
 */
import type { Writable } from "node:stream";
import type { ExecSession, StreamSession } from "../../runtime.js";
import type { ChunkQueue } from "./chunk-queue.js";

export interface SessionParts {
  readonly output: ChunkQueue;
  readonly stdin: Writable | undefined;
  readonly resize: StreamSession["resize"];
  /** Lets go of the pipes or socket (called once). */
  readonly release: () => void;
  readonly signal?: AbortSignal | undefined;
}

export function streamSession(parts: SessionParts): StreamSession {
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    parts.release();
    parts.output.clear();
  };
  parts.signal?.addEventListener("abort", close, { once: true });
  if (parts.signal?.aborted === true) close();
  return { output: parts.output, stdin: parts.stdin, resize: parts.resize, close };
}

/** `exit` is the process's exit code; `exitCode()` also waits for the output's end. */
export function execSession(parts: SessionParts, exit: Promise<number>): ExecSession {
  return {
    ...streamSession(parts),
    exitCode: async () => {
      const code = await exit;
      await parts.output.ended;
      return code;
    },
  };
}
