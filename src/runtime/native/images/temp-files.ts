/**
 * Temporary names for atomic writes (`write temp + rename`). A name carries the writer's PID so
 * that the next store to open can remove what a killed writer left, and nothing a live one is using.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { systemProbe } from "../../../file-lock.js";

const PREFIX = ".tmp-";

export function tempName(dir: string): string {
  return path.join(dir, `${PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`);
}

/** Removes temporaries in `dir` whose writer is gone. */
export async function sweepTemporaries(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && systemProbe.alive(pid)) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
  }
}
