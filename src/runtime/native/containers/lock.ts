/**
 * One berth process at a time changes a container (start, stop, collecting its exit, remove): a
 * lock file `<locks>/<key>.lock` holding `{"pid","start"}`, made with link(2) from a fully written
 * temporary file, taken over when its owner is gone (dead, or its PID reused: the start time in
 * /proc differs). Inside one process, callers on the same key queue on a promise chain first, so the
 * file lock is never taken twice by one process (it is not re-entrant).
 */
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "../../errors.js";

export interface ProcessIdentity {
  readonly pid: number;
  readonly start: string | undefined;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined when gone. */
export function processStart(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text
      .slice(text.lastIndexOf(")") + 1)
      .trim()
      .split(/\s+/);
    return fields[19];
  } catch {
    return undefined;
  }
}

/** State letter of /proc/<pid>/stat (`R`, `S`, `Z`…); undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text
      .slice(text.lastIndexOf(")") + 1)
      .trim()
      .split(/\s+/)[0];
  } catch {
    return undefined;
  }
}

/** Whether the process that was `identity` still runs (not a zombie, not a reused PID). */
export function stillRuns(identity: ProcessIdentity): boolean {
  const state = processState(identity.pid);
  if (state === undefined || state === "Z" || state === "X") return false;
  return identity.start === undefined || processStart(identity.pid) === identity.start;
}

export const self: ProcessIdentity = { pid: process.pid, start: processStart(process.pid) };

function parseIdentity(text: string | undefined): ProcessIdentity | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as { pid?: unknown; start?: unknown };
    if (typeof value.pid !== "number") return undefined;
    return { pid: value.pid, start: typeof value.start === "string" ? value.start : undefined };
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

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

function removeIfUnchanged(file: string, text: string): void {
  if (readText(file) !== text) return;
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}

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
  const run = previous.catch(() => undefined).then(() => lockedRun(dir, file, key, work, timeoutMs));
  queues.set(file, run);
  try {
    return await run;
  } finally {
    if (queues.get(file) === run) queues.delete(file);
  }
}

async function lockedRun<T>(
  dir: string,
  file: string,
  key: string,
  work: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify(self)}\n`;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(file, text)) break;
    const current = readText(file);
    const owner = parseIdentity(current);
    if (current !== undefined && (owner === undefined || !stillRuns(owner))) {
      // Break a stale lock under a second lock file, so two breakers cannot both win.
      const breaker = `${file}.break`;
      if (createExclusive(breaker, text)) {
        try {
          removeIfUnchanged(file, current);
        } finally {
          unlinkSync(breaker);
        }
        continue;
      }
      const breakerOwner = parseIdentity(readText(breaker));
      if (breakerOwner === undefined || !stillRuns(breakerOwner))
        removeIfUnchanged(breaker, readText(breaker) ?? "");
    }
    if (Date.now() >= deadline) {
      throw new ApiError(`${key} is held by another berth (pid ${owner?.pid ?? "?"}) for too long`, {
        hint: `if no berth runs, remove ${file}`,
      });
    }
    await sleep(Math.min(10 * 2 ** Math.min(attempt, 4), 100));
  }
  try {
    return await work();
  } finally {
    removeIfUnchanged(file, text);
  }
}
