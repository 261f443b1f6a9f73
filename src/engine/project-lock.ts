/**
 * One berth at a time changes a project. Two `up`s of one project that both observe "no network"
 * both create it (a runtime may even land both: Networks.createMayDuplicate) and both create
 * `web-1` (one fails on the name); so every command that changes state holds this lock from its
 * observe to its last step.
 *
 * The lock is a file `<dir>/<project>.lock`, taken as src/file-lock.ts takes any lock (link(2) from a
 * written file, owner PID and start time, stale locks broken under a `.break` file); waiting is
 * bounded in time, reported once, and ends on abort.
 *
 * The directory: `/run/berth` for root (the engine is system-wide, so every root shell must agree,
 * whatever its XDG_RUNTIME_DIR), else `$XDG_RUNTIME_DIR/berth`; when that cannot be made,
 * `<os.tmpdir()>/berth-<uid>`. It is not re-entrant: a second taker in the same process (a library
 * caller running two commands at once) waits like any other, so no engine call may nest another.
 */
import { lstatSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireFileLock, type LockOwner, type ProcessProbe } from "../file-lock.js";
import { EngineError } from "./errors.js";

export {
  formatOwner,
  isStale,
  type LockOwner,
  parseOwner,
  parseProcStat,
  type ProcessProbe,
  systemProbe,
} from "../file-lock.js";

export interface LockOptions {
  /** The lock directory; default as the file comment says. */
  readonly dir?: string | undefined;
  /** Most time spent waiting for another berth; default 10 minutes (as long as a depends_on wait). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called once, when the lock is held by another live process and waiting begins. */
  readonly onWait?: ((owner: LockOwner) => void) | undefined;
  readonly probe?: ProcessProbe | undefined;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;

/** Another berth held the project's lock for longer than the wait allowed. */
export class ProjectLockError extends EngineError {
  override readonly code: string = "PROJECT_LOCKED";
}

/**
 * The wait for the lock was aborted (Ctrl-C): this run changed nothing, so there is nothing for it
 * to undo (an interrupted `up` stops what it started; one that never started must not then wait
 * for the lock again to stop nothing).
 */
export class LockWaitAborted extends EngineError {
  override readonly code: string = "LOCK_WAIT_ABORTED";
}

// --- pure parts ---------------------------------------------------------------------------------

/** Where the lock files live, in order of preference (see the file comment). */
export function lockDirectories(env: NodeJS.ProcessEnv, uid: number, tmp: string): string[] {
  const fallback = path.join(tmp, `berth-${uid}`);
  if (uid === 0) return ["/run/berth", fallback];
  const runtimeDir = env["XDG_RUNTIME_DIR"];
  return runtimeDir ? [path.join(runtimeDir, "berth"), fallback] : [fallback];
}

/** The lock file of a project; the name is encoded so no project name can leave the directory. */
export function lockFileName(project: string): string {
  return `${encodeURIComponent(project)}.lock`;
}

// --- the lock -----------------------------------------------------------------------------------

let chosenDir: string | undefined;

function lockDirectory(): string {
  if (chosenDir !== undefined) return chosenDir;
  const uid = process.getuid?.() ?? 0;
  const candidates = lockDirectories(process.env, uid, os.tmpdir());
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stat = lstatSync(dir);
      // A directory someone else made (in a shared /tmp) could be used to plant or hide locks.
      if (!stat.isDirectory() || (process.getuid !== undefined && stat.uid !== uid)) continue;
      chosenDir = dir;
      return dir;
    } catch {
      // Not writable here (no /run, read-only): try the next place.
    }
  }
  throw new EngineError(`cannot create a directory for project locks (tried ${candidates.join(", ")})`);
}

/**
 * Takes the project's lock, waiting (bounded) while another live berth holds it, and returns the
 * function that releases it. Release is idempotent.
 */
export async function acquireProjectLock(project: string, options: LockOptions = {}): Promise<() => void> {
  const file = path.join(options.dir ?? lockDirectory(), lockFileName(project));
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  return acquireFileLock(file, {
    timeoutMs,
    signal: options.signal,
    onWait: options.onWait,
    probe: options.probe,
    aborted: () =>
      new LockWaitAborted(`stopped waiting for another berth on project ${project}; nothing was changed`),
    timedOut: (owner) =>
      new ProjectLockError(
        `another berth (pid ${owner?.pid ?? "?"}) kept project ${project} busy for ${Math.round(timeoutMs / 1000)}s; gave up waiting`,
        { hint: `if no berth is running on this project, remove ${file}` },
      ),
  });
}

/** Runs `work` holding the project's lock; releases it however `work` ends. */
export async function withProjectLock<T>(
  project: string,
  options: LockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const release = await acquireProjectLock(project, options);
  try {
    return await work();
  } finally {
    release();
  }
}
