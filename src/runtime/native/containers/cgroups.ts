/**
 * The container's cgroup: `cgroupsPath` `/berth/<id>`, or `<cgroup_parent>/<id>`, under each
 * hierarchy (runc's cgroupfs driver; the path is the oci part's `cgroupsPathFor`). cgroup v2 when
 * `/sys/fs/cgroup/cgroup.controllers` exists, else v1 (this host is v1 hybrid: one directory per
 * controller, plus `unified/` and the `systemd` named hierarchy). runc removes the
 * container's directories on delete but not always (a killed runc, a container whose runc state is
 * gone), so remove tries every hierarchy itself.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, rmdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { cgroupsPathFor, cgroupVersion } from "../oci/cgroups.js";
import { errnoCode } from "../../../errno.js";

export { cgroupVersion };

export const CGROUP_ROOT = "/sys/fs/cgroup";

/** The path runc is given (relative to each hierarchy's root). */
export function cgroupsPath(id: string, cgroupParent?: string): string {
  return cgroupsPathFor(id, cgroupParent);
}

/** Every hierarchy's mount point (v1: one per controller, links like `cpu,cpuacct` counted once). */
export function hierarchies(root = CGROUP_ROOT): string[] {
  if (cgroupVersion(root) === 2) return [root];
  const seen = new Set<string>();
  const dirs: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = path.join(root, name);
    try {
      if (!lstatSync(dir).isDirectory()) continue;
      const real = realpathSync(dir);
      if (seen.has(real)) continue;
      seen.add(real);
      dirs.push(dir);
    } catch {
      // Not a hierarchy.
    }
  }
  return dirs;
}

/** The container's directory in each hierarchy (whether or not it exists now). */
export function cgroupDirs(id: string, cgroupParent?: string, root = CGROUP_ROOT): string[] {
  return hierarchies(root).map((h) => path.join(h, cgroupsPath(id, cgroupParent)));
}

/** The container's directory in the hierarchy of `controller` (v1), or the one directory (v2). */
export function controllerDir(
  id: string,
  controller: string,
  cgroupParent?: string,
  root = CGROUP_ROOT,
): string {
  return cgroupVersion(root) === 2
    ? path.join(root, cgroupsPath(id, cgroupParent))
    : path.join(root, controller, cgroupsPath(id, cgroupParent));
}

/** Removes the container's directories everywhere; a busy one (tasks still leaving) is retried. */
export async function removeCgroups(
  id: string,
  cgroupParent?: string,
  root = CGROUP_ROOT,
): Promise<string[]> {
  const left: string[] = [];
  for (const dir of cgroupDirs(id, cgroupParent, root)) {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT") break;
        if (code !== "EBUSY" || attempt === 19) {
          left.push(dir);
          break;
        }
        await sleep(25);
      }
    }
  }
  return left;
}

/** `oom_kill N` from memory.oom_control (v1) or memory.events (v2): OOM kills in the cgroup. */
export function parseOomKills(text: string): number {
  const match = /^oom_kill\s+(\d+)$/m.exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** Whether the kernel OOM-killed a process of the container (false when the cgroup is gone). */
export function oomKilledInCgroup(id: string, cgroupParent?: string, root = CGROUP_ROOT): boolean {
  const dir = controllerDir(id, "memory", cgroupParent, root);
  const file = path.join(dir, cgroupVersion(root) === 2 ? "memory.events" : "memory.oom_control");
  try {
    return parseOomKills(readFileSync(file, "utf8")) > 0;
  } catch {
    return false;
  }
}
