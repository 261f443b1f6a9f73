/**
 * Whether a container's cgroup is frozen (paused): v1 `freezer.state` (FROZEN, or FREEZING on the
 * way there), v2 `cgroup.freeze`. runc pause/resume write these; reading them costs no process.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { CgroupPaths, ProcessHandle } from "./handle.js";

export async function isFrozen(cgroups: CgroupPaths): Promise<boolean> {
  try {
    if (cgroups.version === 2) {
      return (await readFile(path.join(cgroups.dir, "cgroup.freeze"), "utf8")).trim() === "1";
    }
    const dir = cgroups.dirs["freezer"];
    if (dir === undefined) return false;
    const state = (await readFile(path.join(dir, "freezer.state"), "utf8")).trim();
    return state === "FROZEN" || state === "FREEZING";
  } catch {
    return false;
  }
}

/** Whether `pid` is a live process (not a zombie). */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The state letter follows the command in parentheses, which may itself hold spaces or ')'.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Whether the container has been started and its main process lives. runc would exec into a
 * created container, which Docker refuses as not running; runc itself tells created from
 * running by its exec FIFO (`<root>/<id>/exec.fifo`), which `runc start` consumes, and so does
 * this. (The init's name is no sign: it stays `runc:[2:INIT]` for a moment after `runc start`.)
 */
export async function running(handle: Pick<ProcessHandle, "runcRoot" | "id" | "pid">): Promise<boolean> {
  if (!(await alive(handle.pid))) return false;
  return !existsSync(path.join(handle.runcRoot, handle.id, "exec.fifo"));
}
