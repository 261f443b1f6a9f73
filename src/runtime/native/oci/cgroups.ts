/**
 * What this host's cgroups offer the spec, read once from /sys/fs/cgroup: the version (v2 when
 * `cgroup.controllers` sits at the root, as runc decides) and whether swap can be limited (Docker's
 * `sysInfo.SwapLimit`: `memory.memsw.limit_in_bytes` on v1, the memory controller on v2).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export interface CgroupHost {
  readonly cgroupVersion: 1 | 2;
  readonly memswAvailable: boolean;
}

/** v2 when `cgroup.controllers` sits at the root (runc's test), else v1. */
export function cgroupVersion(root = "/sys/fs/cgroup"): 1 | 2 {
  return existsSync(path.join(root, "cgroup.controllers")) ? 2 : 1;
}

export function cgroupHost(root = "/sys/fs/cgroup"): CgroupHost {
  if (cgroupVersion(root) === 2) {
    const names = readFileSync(path.join(root, "cgroup.controllers"), "utf8").trim().split(/\s+/);
    return { cgroupVersion: 2, memswAvailable: names.includes("memory") };
  }
  return {
    cgroupVersion: 1,
    memswAvailable: existsSync(path.join(root, "memory", "memory.memsw.limit_in_bytes")),
  };
}

/**
 * runc's cgroupsPath for a container (cgroupfs driver): `<cgroup_parent>/<id>`, under `/berth` when
 * the service sets no parent, as Docker puts its containers under `/docker` (`WithCgroups`).
 */
export function cgroupsPathFor(id: string, cgroupParent?: string): string {
  const parent = cgroupParent !== undefined && cgroupParent !== "" ? cgroupParent : "/berth";
  return path.posix.join("/", parent, id);
}
