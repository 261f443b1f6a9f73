/**
 * cgroup limits as Docker 20.10 writes them (moby v20.10.24 `daemon/daemon_unix.go`): the checks
 * `verifyPlatformContainerResources` makes at create (errors worded as Docker's), the defaults
 * `adaptContainerSettings` fills in (swap = 2 × memory), and `getMemoryResources`,
 * `getCPUResources`, `getPidsLimit`. Docker always writes `cpu.shares` (0 = unset),
 * `memory.disableOOMKiller: false` and `blockIO.weight: 0`; so does this.
 */
import { InvalidRequestError } from "../../errors.js";
import type { ResourceLimits } from "../../runtime.js";
import type { OciCpu, OciMemory, OciRlimit } from "./types.js";

const MIN_MEMORY = 6 * 1024 * 1024;
/** Docker's CFS period when `cpus` is given: 100 ms. */
const CFS_PERIOD_US = 100_000;

export interface ResourceHost {
  /** The memory cgroup has swap accounting (`memory.memsw.*` on v1, `memory.swap.max` on v2). */
  readonly memswAvailable: boolean;
}

/** Refuses what Docker refuses at create, with its words. */
export function checkResources(r: ResourceLimits): void {
  const memory = r.memoryBytes ?? 0;
  const swap = r.memorySwapBytes ?? 0;
  const reservation = r.memoryReservationBytes ?? 0;
  const fail = (message: string): never => {
    throw new InvalidRequestError(message);
  };
  if (memory !== 0 && memory < MIN_MEMORY) fail("Minimum memory limit allowed is 6MB");
  if (memory > 0 && swap > 0 && swap < memory) {
    fail("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  if (memory === 0 && swap > 0)
    fail("You should always set the Memory limit when using Memoryswap limit, see usage");
  if (reservation > 0 && reservation < MIN_MEMORY) fail("Minimum memory reservation allowed is 6MB");
  if (memory > 0 && reservation > 0 && memory < reservation) {
    fail("Minimum memory limit can not be less than memory reservation limit, see usage");
  }
  const nanoCpus = r.nanoCpus ?? 0;
  if (nanoCpus > 0 && (r.cpuPeriod ?? 0) > 0)
    fail("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nanoCpus > 0 && (r.cpuQuota ?? 0) > 0)
    fail("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (nanoCpus < 0) fail("Range of CPUs is from 0.01 upwards");
  const period = r.cpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    fail("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  }
  const quota = r.cpuQuota ?? 0;
  if (quota > 0 && quota < 1000) fail("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if ((r.cpuShares ?? 0) < 0) fail("shares: invalid argument");
}

/** The memory+swap limit Docker ends up with: 2 × memory by default, unlimited (-1) without swap accounting. */
function effectiveSwap(r: ResourceLimits, host: ResourceHost): number {
  const memory = r.memoryBytes ?? 0;
  let swap = r.memorySwapBytes ?? 0;
  if (memory > 0 && swap === 0) swap = memory * 2;
  if (memory > 0 && swap !== -1 && !host.memswAvailable) swap = -1;
  return swap;
}

/** What Docker warns about at create for these limits on this host. */
export function resourceWarnings(r: ResourceLimits, host: ResourceHost): string[] {
  const memory = r.memoryBytes ?? 0;
  const asked = r.memorySwapBytes ?? 0;
  if (memory > 0 && asked !== -1 && !host.memswAvailable) {
    return [
      "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
    ];
  }
  return [];
}

export function memoryResources(r: ResourceLimits, host: ResourceHost): OciMemory {
  const memory = r.memoryBytes ?? 0;
  const reservation = r.memoryReservationBytes ?? 0;
  const swap = effectiveSwap(r, host);
  return {
    ...(memory > 0 ? { limit: memory } : {}),
    ...(reservation > 0 ? { reservation } : {}),
    ...(swap > 0 ? { swap } : {}),
    disableOOMKiller: false,
  };
}

export function cpuResources(r: ResourceLimits): OciCpu {
  const nanoCpus = r.nanoCpus ?? 0;
  let period = nanoCpus > 0 ? CFS_PERIOD_US : undefined;
  let quota = nanoCpus > 0 ? Math.trunc((nanoCpus * CFS_PERIOD_US) / 1e9) : undefined;
  if ((r.cpuPeriod ?? 0) !== 0) period = r.cpuPeriod;
  if ((r.cpuQuota ?? 0) !== 0) quota = r.cpuQuota;
  const cpus = r.cpusetCpus ?? "";
  return {
    shares: r.cpuShares ?? 0,
    ...(quota !== undefined ? { quota } : {}),
    ...(period !== undefined ? { period } : {}),
    ...(cpus !== "" ? { cpus } : {}),
  };
}

/** Docker: 0 or less means unlimited, which runc spells -1. */
export function pidsResources(r: ResourceLimits): { readonly limit: number } | undefined {
  if (r.pidsLimit === undefined) return undefined;
  return { limit: r.pidsLimit <= 0 ? -1 : r.pidsLimit };
}

/** go-units' ulimit names: the ones runc knows as `RLIMIT_<NAME>`. */
const ULIMIT_NAMES: ReadonlySet<string> = new Set([
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
]);

/**
 * `ulimits` as rlimits. dockerd adds none of its own (its `default-ulimits` is empty unless
 * configured): a container without ulimits inherits its parent's limits, under Docker the shim's,
 * here the monitor's.
 */
export function rlimits(r: ResourceLimits): OciRlimit[] | undefined {
  const list = r.ulimits ?? [];
  if (list.length === 0) return undefined;
  return list.map((u) => {
    if (!ULIMIT_NAMES.has(u.name)) throw new InvalidRequestError(`invalid ulimit type: ${u.name}`);
    if (u.soft > u.hard) {
      throw new InvalidRequestError(
        `ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`,
      );
    }
    return { type: `RLIMIT_${u.name.toUpperCase()}`, hard: u.hard, soft: u.soft };
  });
}
