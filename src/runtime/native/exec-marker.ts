/**
 * A mark in a container's bundle that a `runc exec` was started for it (an exec, a TTY exec through
 * conmon, a healthcheck probe). A removal looks for stray `runc exec`s in /proc only where the mark
 * is: that scan reads every process of the host (~5-10 ms a removal, twice), and most containers of
 * a `down` were never exec'd into.
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";

const MARK = "exec-used";

/** Before the exec's process is spawned. A bundle that is gone means a container gone: no mark. */
export function markExecUse(bundle: string | undefined): void {
  if (bundle === undefined) return;
  const file = path.join(bundle, MARK);
  if (existsSync(file)) return;
  try {
    writeFileSync(file, "");
  } catch {
    // The bundle is gone: runc finds no container to exec into either.
  }
}

export function execMayRun(bundle: string): boolean {
  return existsSync(path.join(bundle, MARK));
}
