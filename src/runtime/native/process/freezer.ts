/**
 * Whether a container's cgroup is frozen (paused): v1 `freezer.state` (FROZEN, or FREEZING on the
 * way there), v2 `cgroup.freeze`. runc pause/resume write these; reading them costs no process.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { CgroupPaths } from "./handle.js";

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
 * Whether the container's main process runs its own program: alive, and no longer runc's init,
 * which waits as `runc:[2:INIT]` in a created container until `runc start`. runc would exec into a
 * created container; Docker refuses that, as a container that is not running.
 */
export async function running(pid: number): Promise<boolean> {
  if (!(await alive(pid))) return false;
  const comm = await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
  return comm !== "" && !comm.startsWith("runc:[");
}
