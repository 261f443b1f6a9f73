/**
 * One berth process at a time changes a container (start, stop, collecting its exit, remove): the
 * link(2) file lock of src/file-lock.ts, `<locks>/<key>.lock`, taken over when its owner is gone.
 * Inside one process, callers on the same key queue on a promise chain first, so a second caller
 * takes over the moment the first is done instead of polling for the file.
 *
 * Also here: whether a process recorded earlier (a container's init, its monitor, a creator) still
 * runs — the same PID with the same start time, not a zombie.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { acquireFileLock, systemProbe } from "../../../file-lock.js";
import { ApiError } from "../../errors.js";

export interface ProcessIdentity {
  readonly pid: number;
  readonly start: string | undefined;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined when gone. */
export function processStart(pid: number): string | undefined {
  return systemProbe.startTime(pid);
}

/** Whether the process that was `identity` still runs (not a zombie, not a reused PID). */
export function stillRuns(identity: ProcessIdentity): boolean {
  if (!systemProbe.alive(identity.pid)) return false;
  return identity.start === undefined || processStart(identity.pid) === identity.start;
}

export const self: ProcessIdentity = { pid: process.pid, start: processStart(process.pid) };

const queues = new Map<string, Promise<unknown>>();

/** Runs `work` holding the lock `key` in `dir`, waiting (bounded by `timeoutMs`) for other holders. */
export async function withLock<T>(
  dir: string,
  key: string,
  work: () => Promise<T>,
  timeoutMs = 60_000,
): Promise<T> {
  const file = path.join(dir, `${key}.lock`);
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const release = await acquireFileLock(file, {
        timeoutMs,
        aborted: () => new ApiError(`stopped waiting for ${key}`),
        timedOut: (owner) =>
          new ApiError(`${key} is held by another berth (pid ${owner?.pid ?? "?"}) for too long`, {
            hint: `if no berth runs, remove ${file}`,
          }),
      });
      try {
        return await work();
      } finally {
        release();
      }
    });
  queues.set(file, run);
  try {
    return await run;
  } finally {
    if (queues.get(file) === run) queues.delete(file);
  }
}
