/**
 * A lock between processes (and between callers in one process), as a file made with link(2).
 *
 * The lock is a file holding `{"pid":…,"start":…}` (`start` is the owner's start time from /proc,
 * so a reused PID is not mistaken for the owner). It is made with link(2) from a fully written
 * temporary file, so nobody ever reads a half-written lock. A lock whose owner is gone (killed,
 * crashed) is stale and taken over; taking over happens under a second, short-lived `<file>.break`
 * file, so two processes breaking the same stale lock cannot both end up holding it. Waiting is
 * bounded in time, reported once, and ends on abort. It is not re-entrant: a second taker in the
 * same process waits like any other.
 *
 * Users: the project lock (src/engine/project-lock.ts) and the native runtime's stores (a blob, a
 * layer, the tag index), each of which says what a timeout or an abort means for it.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { errnoCode } from "./errno.js";

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

export interface FileLockOptions {
  /** Most time spent waiting for another owner. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Called once per owner, when the lock is held by another live process and waiting begins. */
  readonly onWait?: ((owner: LockOwner) => void) | undefined;
  readonly probe?: ProcessProbe | undefined;
  /** The error thrown when the wait is aborted. */
  readonly aborted: () => Error;
  /** The error thrown when the wait ran out; `owner` is the last owner seen. */
  readonly timedOut: (owner: LockOwner | undefined) => Error;
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
      if (errnoCode(error) !== "EPERM") return false;
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

/** Creates `file` holding `text` only when it does not exist, in one step; false when it exists. */
export function createExclusive(file: string, text: string): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temporary, text, { mode: 0o600 });
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
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
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

function removeIfUnchanged(file: string, text: string): void {
  if (readText(file) !== text) return;
  try {
    unlinkSync(file);
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
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
 * Takes the lock `file` (its directory must exist), waiting (bounded) while another live owner
 * holds it, and returns the function that releases it. Release is idempotent.
 */
export async function acquireFileLock(file: string, options: FileLockOptions): Promise<() => void> {
  const probe = options.probe ?? systemProbe;
  const start = ownStartTime();
  const text = formatOwner(start === undefined ? { pid: process.pid } : { pid: process.pid, start });
  const deadline = Date.now() + options.timeoutMs;
  let waitingOn: LockOwner | undefined;
  let quick = 0;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw options.aborted();
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
    if (Date.now() >= deadline) throw options.timedOut(owner);
    // Short polls first: the other owner may be done in milliseconds.
    try {
      await sleep(Math.min(20 * 2 ** Math.min(attempt, 3), 200), undefined, { signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw options.aborted();
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
