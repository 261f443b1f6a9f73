/**
 * Locks of the image store, one file each under the runtime's lock directory: `blob-<hex>` (one
 * writer per blob), `layer-<hex>` (one unpacker per chain ID), `images` (records and tag index).
 * They are the link(2) locks of src/file-lock.ts, so a writer killed mid-way leaves a stale lock
 * the next taker breaks.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { acquireFileLock } from "../../../file-lock.js";
import { ApiError } from "../../errors.js";

/** Long enough for another process to finish a large layer download or unpack. */
const LOCK_TIMEOUT_MS = 15 * 60_000;

export async function withStoreLock<T>(
  locksDir: string,
  name: string,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  await mkdir(locksDir, { recursive: true, mode: 0o700 });
  const file = path.join(locksDir, `${name}.lock`);
  const release = await acquireFileLock(file, {
    timeoutMs: LOCK_TIMEOUT_MS,
    signal,
    aborted: () =>
      signal?.reason instanceof Error ? signal.reason : new ApiError(`stopped waiting for ${name}`),
    timedOut: (owner) =>
      new ApiError(
        `process ${owner?.pid ?? "?"} held the image store's ${name} lock too long; gave up waiting`,
        {
          hint: `if no berth is running, remove ${file}`,
        },
      ),
  });
  try {
    return await work();
  } finally {
    release();
  }
}
