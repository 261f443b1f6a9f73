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
  /** What else the controllers offer; a limit the host lacks is discarded with Docker's warning. */
  readonly features?: CgroupFeatures | undefined;
}

/** Docker's `sysInfo` flags for the limits that depend on the kernel and its cgroup mounts. */
export interface CgroupFeatures {
  readonly swappiness: boolean;
  readonly oomKillDisable: boolean;
  readonly cpuRealtime: boolean;
  readonly blkioWeight: boolean;
  readonly blkioWeightDevice: boolean;
  readonly blkioThrottle: boolean;
}

/** v2 when `cgroup.controllers` sits at the root (runc's test), else v1. */
export function cgroupVersion(root = "/sys/fs/cgroup"): 1 | 2 {
  return existsSync(path.join(root, "cgroup.controllers")) ? 2 : 1;
}

export function cgroupHost(root = "/sys/fs/cgroup"): CgroupHost {
  if (cgroupVersion(root) === 2) {
    const names = readFileSync(path.join(root, "cgroup.controllers"), "utf8").trim().split(/\s+/);
    // As Docker 20.10 reads a v2 host: no swappiness, OOM-killer switch or real-time budget, and
    // block I/O through the io controller (weights only with BFQ's file).
    const io = names.includes("io");
    const features: CgroupFeatures = {
      swappiness: false,
      oomKillDisable: false,
      cpuRealtime: false,
      blkioWeight: io && existsSync(path.join(root, "io.bfq.weight")),
      blkioWeightDevice: io && existsSync(path.join(root, "io.bfq.weight")),
      blkioThrottle: io,
    };
    return { cgroupVersion: 2, memswAvailable: names.includes("memory"), features };
  }
  const has = (controller: string, file: string) => existsSync(path.join(root, controller, file));
  return {
    cgroupVersion: 1,
    memswAvailable: has("memory", "memory.memsw.limit_in_bytes"),
    features: {
      swappiness: has("memory", "memory.swappiness"),
      oomKillDisable: has("memory", "memory.oom_control"),
      cpuRealtime: has("cpu", "cpu.rt_period_us") && has("cpu", "cpu.rt_runtime_us"),
      blkioWeight: has("blkio", "blkio.weight"),
      blkioWeightDevice: has("blkio", "blkio.weight_device"),
      blkioThrottle: has("blkio", "blkio.throttle.read_bps_device"),
    },
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
