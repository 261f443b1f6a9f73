/**
 * cgroup limits as Docker 20.10 writes them (moby v20.10.24 `daemon/daemon_unix.go`): the checks
 * `verifyPlatformContainerResources` makes at create (errors worded as Docker's), the defaults
 * `adaptContainerSettings` fills in (swap = 2 × memory), and `getMemoryResources`,
 * `getCPUResources`, `getPidsLimit`. Docker always writes `cpu.shares` (0 = unset),
 * `memory.disableOOMKiller: false` and `blockIO.weight: 0`; so does this.
 */
import { InvalidRequestError } from "../../errors.js";
import type { ResourceLimits, ThrottleDevice } from "../../runtime.js";
import type { CgroupFeatures } from "./cgroups.js";
import type { BlockDeviceNumbers } from "./devices.js";
import type { OciBlockDeviceRate, OciBlockIO, OciCpu, OciMemory, OciRlimit } from "./types.js";

const MIN_MEMORY = 6 * 1024 * 1024;
/** Docker's CFS period when `cpus` is given: 100 ms. */
const CFS_PERIOD_US = 100_000;

export interface ResourceHost {
  /** The memory cgroup has swap accounting (`memory.memsw.*` on v1, `memory.swap.max` on v2). */
  readonly memswAvailable: boolean;
  /** Absent: none of the optional controllers' files (each such limit discarded, warned). */
  readonly features?: CgroupFeatures | undefined;
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
  const swappiness = r.memorySwappiness ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    fail(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if ((r.cpuRealtimeRuntime ?? 0) > 0 && (r.cpuRealtimePeriod ?? 0) > 0) {
    if ((r.cpuRealtimeRuntime ?? 0) > (r.cpuRealtimePeriod ?? 0))
      fail("cpu-rt-runtime cannot be higher than cpu-rt-period");
  }
  const weight = r.blkio?.weight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) fail("Range of blkio weight is from 10 to 1000");
  for (const d of r.blkio?.weightDevice ?? []) {
    if (d.weight < 10 || d.weight > 1000) fail("Range of blkio weight is from 10 to 1000");
  }
}

/** The memory+swap limit Docker ends up with: 2 × memory by default, unlimited (-1) without swap accounting. */
function effectiveSwap(r: ResourceLimits, host: ResourceHost): number {
  const memory = r.memoryBytes ?? 0;
  let swap = r.memorySwapBytes ?? 0;
  if (memory > 0 && swap === 0) swap = memory * 2;
  if (memory > 0 && swap !== -1 && !host.memswAvailable) swap = -1;
  return swap;
}

/** What Docker warns about at create for these limits on this host (its words, in its order). */
export function resourceWarnings(r: ResourceLimits, host: ResourceHost): string[] {
  const memory = r.memoryBytes ?? 0;
  const asked = r.memorySwapBytes ?? 0;
  const has = host.features;
  const warnings: string[] = [];
  if (memory > 0 && asked !== -1 && !host.memswAvailable) {
    warnings.push(
      "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
    );
  }
  if (r.memorySwappiness !== undefined && r.memorySwappiness !== -1 && has?.swappiness !== true) {
    warnings.push(
      "Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.",
    );
  }
  if (r.oomKillDisable === true && has?.oomKillDisable !== true) {
    warnings.push("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
  } else if (r.oomKillDisable === true && memory === 0) {
    warnings.push(
      "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.",
    );
  }
  if ((r.cpuRealtimePeriod ?? 0) > 0 && has?.cpuRealtime !== true)
    warnings.push("Your kernel does not support cgroup cpu real-time period");
  if ((r.cpuRealtimeRuntime ?? 0) > 0 && has?.cpuRealtime !== true)
    warnings.push("Your kernel does not support cgroup cpu real-time runtime");
  const blkio = r.blkio ?? {};
  if ((blkio.weight ?? 0) > 0 && has?.blkioWeight !== true) {
    warnings.push(
      "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.",
    );
  }
  if ((blkio.weightDevice ?? []).length > 0 && has?.blkioWeightDevice !== true) {
    warnings.push(
      "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.",
    );
  }
  const throttles = [blkio.deviceReadBps, blkio.deviceWriteBps, blkio.deviceReadIops, blkio.deviceWriteIops];
  if (throttles.some((list) => (list ?? []).length > 0) && has?.blkioThrottle !== true) {
    warnings.push(
      "Your kernel does not support Block I/O throttling or the cgroup is not mounted. Block I/O limits discarded.",
    );
  }
  return warnings;
}

/** The block devices `r`'s blkio limits name, for blockDeviceNumbers to resolve. */
export function blkioDevicePaths(r: ResourceLimits): string[] {
  const blkio = r.blkio ?? {};
  return [
    ...(blkio.weightDevice ?? []),
    ...(blkio.deviceReadBps ?? []),
    ...(blkio.deviceWriteBps ?? []),
    ...(blkio.deviceReadIops ?? []),
    ...(blkio.deviceWriteIops ?? []),
  ].map((d) => d.path);
}

/**
 * Block I/O as runc writes it: the weight (Docker always writes one, 0 = unset) and the per-device
 * weights and throttles by device number, each only where the host has its files.
 */
export function blockIOResources(
  r: ResourceLimits,
  host: ResourceHost,
  devices: Readonly<Record<string, BlockDeviceNumbers>>,
): OciBlockIO {
  const blkio = r.blkio ?? {};
  const has = host.features;
  const numbers = (devicePath: string): BlockDeviceNumbers => {
    const found = devices[devicePath];
    if (found === undefined) throw new InvalidRequestError(`blkio device ${devicePath} was not resolved`);
    return found;
  };
  const rates = (list: readonly ThrottleDevice[] | undefined): OciBlockDeviceRate[] | undefined =>
    has?.blkioThrottle === true && list !== undefined && list.length > 0
      ? list.map((d) => ({ ...numbers(d.path), rate: d.rate }))
      : undefined;
  const weightDevice =
    has?.blkioWeightDevice === true && (blkio.weightDevice ?? []).length > 0
      ? (blkio.weightDevice ?? []).map((d) => ({ ...numbers(d.path), weight: d.weight }))
      : undefined;
  const readBps = rates(blkio.deviceReadBps);
  const writeBps = rates(blkio.deviceWriteBps);
  const readIops = rates(blkio.deviceReadIops);
  const writeIops = rates(blkio.deviceWriteIops);
  return {
    weight: has?.blkioWeight === true ? (blkio.weight ?? 0) : 0,
    ...(weightDevice !== undefined ? { weightDevice } : {}),
    ...(readBps !== undefined ? { throttleReadBpsDevice: readBps } : {}),
    ...(writeBps !== undefined ? { throttleWriteBpsDevice: writeBps } : {}),
    ...(readIops !== undefined ? { throttleReadIOPSDevice: readIops } : {}),
    ...(writeIops !== undefined ? { throttleWriteIOPSDevice: writeIops } : {}),
  };
}

export function memoryResources(r: ResourceLimits, host: ResourceHost): OciMemory {
  const memory = r.memoryBytes ?? 0;
  const reservation = r.memoryReservationBytes ?? 0;
  const swap = effectiveSwap(r, host);
  const swappiness = r.memorySwappiness ?? -1;
  return {
    ...(memory > 0 ? { limit: memory } : {}),
    ...(reservation > 0 ? { reservation } : {}),
    ...(swap > 0 ? { swap } : {}),
    ...(swappiness !== -1 && host.features?.swappiness === true ? { swappiness } : {}),
    disableOOMKiller: r.oomKillDisable === true && host.features?.oomKillDisable === true,
  };
}

export function cpuResources(r: ResourceLimits, host: ResourceHost = { memswAvailable: false }): OciCpu {
  const nanoCpus = r.nanoCpus ?? 0;
  let period = nanoCpus > 0 ? CFS_PERIOD_US : undefined;
  let quota = nanoCpus > 0 ? Math.trunc((nanoCpus * CFS_PERIOD_US) / 1e9) : undefined;
  if ((r.cpuPeriod ?? 0) !== 0) period = r.cpuPeriod;
  if ((r.cpuQuota ?? 0) !== 0) quota = r.cpuQuota;
  const cpus = r.cpusetCpus ?? "";
  const realtime = host.features?.cpuRealtime === true;
  const rtPeriod = r.cpuRealtimePeriod ?? 0;
  const rtRuntime = r.cpuRealtimeRuntime ?? 0;
  return {
    shares: r.cpuShares ?? 0,
    ...(quota !== undefined ? { quota } : {}),
    ...(period !== undefined ? { period } : {}),
    ...(cpus !== "" ? { cpus } : {}),
    ...(realtime && rtPeriod > 0 ? { realtimePeriod: rtPeriod } : {}),
    ...(realtime && rtRuntime > 0 ? { realtimeRuntime: rtRuntime } : {}),
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
