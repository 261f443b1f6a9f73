/**
 * One berth at a time changes a project. Two `up`s of one project that both observe "no network"
 * both create it (a runtime may even land both: Networks.createMayDuplicate) and both create
 * `web-1` (one fails on the name); so every command that changes state holds this lock from its
 * observe to its last step.
 *
 * The lock is a file `<dir>/<project>.lock` holding `{"pid":…,"start":…}` (`start` is the owner's
 * start time from /proc, so a reused PID is not mistaken for the owner). It is made with link(2)
 * from a fully written temporary file, so nobody ever reads a half-written lock. A lock whose owner
 * is gone (killed, crashed) is stale and taken over; taking over happens under a second, short-lived
 * `<project>.lock.break` file, so two processes breaking the same stale lock cannot both end up
 * holding it. Waiting is bounded in time, reported once, and ends on abort.
 *
 * The directory: `/run/berth` for root (the engine is system-wide, so every root shell must agree,
 * whatever its XDG_RUNTIME_DIR), else `$XDG_RUNTIME_DIR/berth`; when that cannot be made,
 * `<os.tmpdir()>/berth-<uid>`. It is not re-entrant: a second taker in the same process (a library
 * caller running two commands at once) waits like any other, so no engine call may nest another.
 */
import { randomBytes } from "node:crypto";
import { linkSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EngineError } from "./errors.js";

export interface LockOwner {
  readonly pid: number;
  /** Start time of the process (clock ticks since boot, /proc/<pid>/stat field 22); absent off Linux. */
  readonly start?: string | undefined;
}

/** What the stale check needs to know about other processes (faked in unit tests). */
export interface ProcessProbe {
  /** False when no such process exists or it is a zombie (it can no longer release anything). */
  alive(pid: number): boolean;
  /** The process's start time, when it can be read. */
  startTime(pid: number): string | undefined;
}

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

/** The owner written in a lock file, or undefined when the text is not a lock (stale by definition). */
export function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) return undefined;
    const { pid, start } = value as { pid?: unknown; start?: unknown };
    if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    return typeof start === "string" ? { pid, start } : { pid };
  } catch {
    return undefined;
  }
}

export function formatOwner(owner: LockOwner): string {
  return `${JSON.stringify(owner.start === undefined ? { pid: owner.pid } : owner)}\n`;
}

/**
 * Whether a lock may be taken over: its text is not a lock, its owner is dead, or the PID now
 * belongs to a process started at another time (the owner died and the PID was reused).
 */
export function isStale(owner: LockOwner | undefined, probe: ProcessProbe): boolean {
  if (owner === undefined) return true;
  if (!probe.alive(owner.pid)) return true;
  if (owner.start === undefined) return false;
  const now = probe.startTime(owner.pid);
  return now !== undefined && now !== owner.start;
}

/** State (field 3) and start time (field 22) from the text of /proc/<pid>/stat. */
export function parseProcStat(text: string): { state: string; start: string } | undefined {
  // The command (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
  const fields = text
    .slice(text.lastIndexOf(")") + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const start = fields[19];
  return state && start && /^\d+$/.test(start) ? { state, start } : undefined;
}

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

// --- the process probe --------------------------------------------------------------------------

function readStat(pid: number): { state: string; start: string } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

export const systemProbe: ProcessProbe = {
  alive(pid) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
    }
    const state = readStat(pid)?.state;
    return state !== "Z" && state !== "X";
  },
  startTime: (pid) => readStat(pid)?.start,
};

// --- the lock -----------------------------------------------------------------------------------

interface Held {
  readonly file: string;
  readonly text: string;
}

/** Locks this process holds, by file (released on exit if a `finally` never ran). */
const held = new Map<string, Held>();
let exitHookInstalled = false;
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

/** Creates `file` holding `text` only when it does not exist, in one step; false when it exists. */
function createExclusive(file: string, text: string): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** The file's text, or undefined when it is gone. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function removeIfUnchanged(file: string, text: string): void {
  if (readText(file) !== text) return;
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/**
 * Removes the stale lock whose text was `staleText`, unless it changed meanwhile; false when another
 * process is breaking it. Done under the break file so a breaker cannot remove the fresh lock another
 * breaker just made. A break file left by a breaker killed in those few microseconds is itself
 * stale and removed.
 */
function breakStale(file: string, staleText: string, me: string, probe: ProcessProbe): boolean {
  const breaker = `${file}.break`;
  if (!createExclusive(breaker, me)) {
    const text = readText(breaker);
    if (text !== undefined && isStale(parseOwner(text), probe)) removeIfUnchanged(breaker, text);
    return false;
  }
  try {
    removeIfUnchanged(file, staleText);
    return true;
  } finally {
    unlinkSync(breaker);
  }
}

function ownStartTime(): string | undefined {
  return readStat(process.pid)?.start;
}

function releaseAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() skips `finally`; a lock left then would only be stale, but why leave it.
  process.on("exit", () => {
    for (const lock of held.values()) {
      try {
        removeIfUnchanged(lock.file, lock.text);
      } catch {
        // Exiting anyway.
      }
    }
    held.clear();
  });
}

/**
 * Takes the project's lock, waiting (bounded) while another live berth holds it, and returns the
 * function that releases it. Release is idempotent.
 */
export async function acquireProjectLock(project: string, options: LockOptions = {}): Promise<() => void> {
  const file = path.join(options.dir ?? lockDirectory(), lockFileName(project));
  const probe = options.probe ?? systemProbe;
  const start = ownStartTime();
  const text = formatOwner(start === undefined ? { pid: process.pid } : { pid: process.pid, start });
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let waitingOn: LockOwner | undefined;
  let quick = 0;
  const aborted = (): LockWaitAborted =>
    new LockWaitAborted(`stopped waiting for another berth on project ${project}; nothing was changed`);
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw aborted();
    if (createExclusive(file, text)) break;
    const current = readText(file);
    const owner = current === undefined ? undefined : parseOwner(current);
    if (current === undefined || (isStale(owner, probe) && breakStale(file, current, text, probe))) {
      // Released or broken just now: try again at once (a few times in a row, then at the poll pace).
      if (++quick <= 3) continue;
    } else if (owner && owner.pid !== waitingOn?.pid) {
      waitingOn = owner;
      options.onWait?.(owner);
    }
    quick = 0;
    if (Date.now() >= deadline) {
      throw new ProjectLockError(
        `another berth (pid ${owner?.pid ?? "?"}) kept project ${project} busy for ${Math.round(timeoutMs / 1000)}s; gave up waiting`,
        { hint: `if no berth is running on this project, remove ${file}` },
      );
    }
    // Short polls first: the other run may be a no-op `up` that ends in milliseconds.
    try {
      await sleep(Math.min(20 * 2 ** Math.min(attempt, 3), 200), undefined, { signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw aborted();
      throw error;
    }
  }
  const lock = { file, text };
  held.set(file, lock);
  releaseAllOnExit();
  return releaser(lock);
}

function releaser(lock: Held): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (held.get(lock.file) === lock) held.delete(lock.file);
    removeIfUnchanged(lock.file, lock.text);
  };
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
