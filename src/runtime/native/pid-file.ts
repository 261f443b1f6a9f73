/**
 * The pid files of the native runtime's background processes (the supervisor, the log drainer, the
 * DNS server): `{"pid","start"}` made with link(2) from a fully written file, so the file is also
 * the lock; an owner that is gone (dead, or its PID reused: the start time differs) is taken over.
 * And where each process's entry script is: the environment's (a test's bundle), else the first
 * candidate found beside the calling module (the bundle's name, then tsc's).
 */
import { existsSync, readFileSync, unlinkSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createExclusive } from "../../file-lock.js";
import { type ProcessIdentity, self, stillRuns } from "./containers/lock.js";

export function readPidFile(file: string): ProcessIdentity | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown; start?: unknown };
    if (typeof value.pid !== "number") return undefined;
    return { pid: value.pid, start: typeof value.start === "string" ? value.start : undefined };
  } catch {
    return undefined;
  }
}

/** The live owner of the pid file, if any. */
export function livePidFileOwner(file: string): ProcessIdentity | undefined {
  const owner = readPidFile(file);
  return owner && stillRuns(owner) ? owner : undefined;
}

/** Makes this process the owner of the pid file; false when a live process holds it. */
export function claimPidFile(file: string): boolean {
  // The command that spawns the process makes the run root; a process starting after that root was
  // removed (a test's roots disposed, a reboot) has nothing to serve and must not make it again.
  if (!existsSync(path.dirname(file))) return false;
  const text = `${JSON.stringify(self)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(file, text)) return true;
    const owner = readPidFile(file);
    if (owner && stillRuns(owner)) return false;
    // A dead owner's file (or one being written: then the next link loses and reads it again).
    removeIf(file, (current) => current === undefined || !stillRuns(current));
  }
  return false;
}

/** Gives up the pid file if this process holds it. */
export function releasePidFile(file: string): void {
  removeIf(file, (owner) => owner?.pid === self.pid && owner.start === self.start);
}

function removeIf(file: string, test: (owner: ProcessIdentity | undefined) => boolean): void {
  if (!existsSync(file) || !test(readPidFile(file))) return;
  try {
    unlinkSync(file);
  } catch {
    // Gone meanwhile.
  }
}

/** The entry script of a background process: `env[envName]`, or the first candidate found. */
export function findEntry(
  envName: string,
  candidates: readonly string[],
  besideModule: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const given = env[envName];
  if (given) return given;
  for (const candidate of candidates) {
    const file = fileURLToPath(new URL(candidate, besideModule));
    if (existsSync(file)) return file;
  }
  return undefined;
}
