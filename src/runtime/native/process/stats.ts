/**
 * stats from the container's cgroups, computed as Docker's engine and CLI compute them:
 * - CPU % = Δ container CPU time / Δ host CPU time (/proc/stat, all CPUs) × online CPUs × 100,
 *   over one interval (1 s); a one-shot answer takes two samples, as Docker's stream=false does.
 * - memory = usage less the page cache (v1 `cache`, v2 `inactive_file`); the limit is the cgroup's,
 *   or the host's memory when the cgroup has none (moby's statsV1/V2 do the same).
 * - pids, block I/O bytes read and written (v1 blkio.throttle.io_service_bytes_recursive, v2
 *   io.stat), network bytes from the main process's /proc/<pid>/net/dev (every interface but lo).
 * cgroup v1 and v2 are both read, by the handle's version.
 */
import { readFile } from "node:fs/promises";
import { cpus } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Stats } from "../../runtime.js";
import { alive } from "./freezer.js";
import type { CgroupPaths, ProcessHandle } from "./handle.js";

/** One reading of the counters: CPU times in nanoseconds. */
export interface Sample {
  readonly time: Date;
  readonly cpuNs: number;
  readonly systemNs: number;
  readonly onlineCpus: number;
  readonly memoryUsage: number;
  readonly memoryCache: number;
  readonly memoryLimit: number;
  readonly pids: number;
  readonly blockRead: number;
  readonly blockWrite: number;
  readonly networkRx: number;
  readonly networkTx: number;
}

/** Linux's USER_HZ: /proc/stat counts in 1/100 s on every architecture Node runs on. */
const CLOCK_TICKS = 100;
const INTERVAL_MS = 1_000;

/** Host CPU time in ns: the sum of the `cpu` line of /proc/stat (Docker's getSystemCPUUsage). */
export function parseSystemCpu(procStat: string): number {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) return 0;
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((sum, field) => sum + Number(field), 0);
  return (ticks * 1e9) / CLOCK_TICKS;
}

/** `key value` lines (memory.stat, cpu.stat) as numbers. */
export function parseKeyValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && value !== undefined && key !== "") values.set(key, Number(value));
  }
  return values;
}

/** v1 blkio `MAJ:MIN Op bytes` lines: Read and Write summed over devices. */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const [, op, value] = line.trim().split(/\s+/);
    if (op === "Read") read += Number(value);
    else if (op === "Write") write += Number(value);
  }
  return { read, write };
}

/** v2 io.stat `MAJ:MIN rbytes=… wbytes=…` lines, summed. */
export function parseIoStatV2(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const match of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (match[1] === "r") read += Number(match[2]);
    else write += Number(match[2]);
  }
  return { read, write };
}

/** /proc/<pid>/net/dev: received and sent bytes over every interface but loopback. */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === "lo") continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    rx += Number(fields[0] ?? 0);
    tx += Number(fields[8] ?? 0);
  }
  return { rx, tx };
}

/** Docker's CPU %: 0 without a previous sample or without progress. */
export function cpuPercent(current: Sample, previous: Sample | undefined): number {
  if (previous === undefined) return 0;
  const cpuDelta = current.cpuNs - previous.cpuNs;
  const systemDelta = current.systemNs - previous.systemNs;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * current.onlineCpus * 100;
}

export function toStats(current: Sample, previous: Sample | undefined): Stats {
  const { memoryUsage, memoryCache } = current;
  return {
    time: current.time,
    cpuPercent: cpuPercent(current, previous),
    memoryUsageBytes: memoryCache < memoryUsage ? memoryUsage - memoryCache : memoryUsage,
    memoryLimitBytes: current.memoryLimit,
    networkRxBytes: current.networkRx,
    networkTxBytes: current.networkTx,
    blockReadBytes: current.blockRead,
    blockWriteBytes: current.blockWrite,
    pids: current.pids,
  };
}

async function text(file: string | undefined): Promise<string> {
  if (file === undefined) return "";
  return readFile(file, "utf8").catch(() => "");
}

async function number(file: string | undefined): Promise<number> {
  const value = Number((await text(file)).trim());
  return Number.isFinite(value) ? value : 0;
}

function inDir(dir: string | undefined, file: string): string | undefined {
  return dir === undefined ? undefined : path.join(dir, file);
}

async function hostMemory(): Promise<number> {
  const kb = /^MemTotal:\s+(\d+) kB$/m.exec(await text("/proc/meminfo"))?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

async function cgroupCounters(
  cgroups: CgroupPaths,
): Promise<Omit<Sample, "time" | "systemNs" | "onlineCpus" | "networkRx" | "networkTx">> {
  if (cgroups.version === 2) {
    const { dir } = cgroups;
    const [cpuStat, memoryStat, current, max, pids, io] = await Promise.all([
      text(inDir(dir, "cpu.stat")),
      text(inDir(dir, "memory.stat")),
      number(inDir(dir, "memory.current")),
      text(inDir(dir, "memory.max")),
      number(inDir(dir, "pids.current")),
      text(inDir(dir, "io.stat")),
    ]);
    const block = parseIoStatV2(io);
    const limit = Number(max.trim());
    return {
      cpuNs: (parseKeyValues(cpuStat).get("usage_usec") ?? 0) * 1000,
      memoryUsage: current,
      memoryCache: parseKeyValues(memoryStat).get("inactive_file") ?? 0,
      memoryLimit: Number.isFinite(limit) ? limit : Number.POSITIVE_INFINITY,
      pids,
      blockRead: block.read,
      blockWrite: block.write,
    };
  }
  const { dirs } = cgroups;
  const [cpuNs, memoryStat, usage, limit, pids, blkio] = await Promise.all([
    number(inDir(dirs["cpuacct"], "cpuacct.usage")),
    text(inDir(dirs["memory"], "memory.stat")),
    number(inDir(dirs["memory"], "memory.usage_in_bytes")),
    number(inDir(dirs["memory"], "memory.limit_in_bytes")),
    number(inDir(dirs["pids"], "pids.current")),
    text(inDir(dirs["blkio"], "blkio.throttle.io_service_bytes_recursive")),
  ]);
  const block = parseBlkioV1(blkio);
  return {
    cpuNs,
    memoryUsage: usage,
    memoryCache: parseKeyValues(memoryStat).get("cache") ?? 0,
    memoryLimit: limit,
    pids,
    blockRead: block.read,
    blockWrite: block.write,
  };
}

export async function sample(handle: ProcessHandle): Promise<Sample> {
  const [counters, procStat, netDev, machine] = await Promise.all([
    cgroupCounters(handle.cgroupPaths),
    text("/proc/stat"),
    text(`/proc/${handle.pid}/net/dev`),
    hostMemory(),
  ]);
  const network = parseNetDev(netDev);
  return {
    ...counters,
    // No limit of its own (v1 shows a huge number, v2 "max"): the host's memory, as Docker reports.
    memoryLimit: machine > 0 && counters.memoryLimit > machine ? machine : counters.memoryLimit,
    time: new Date(),
    systemNs: parseSystemCpu(procStat),
    onlineCpus: cpus().length || 1,
    networkRx: network.rx,
    networkTx: network.tx,
  };
}

const ZERO: Omit<Stats, "time"> = {
  cpuPercent: 0,
  memoryUsageBytes: 0,
  memoryLimitBytes: 0,
  networkRxBytes: 0,
  networkTxBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  pids: 0,
};

/** Waits `ms`; false when `signal` aborted first. */
async function wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * One sample (`stream: false`, after one interval so the CPU figure has a base) or one per
 * interval until the loop stops or `signal` aborts. A container that is not running gives one
 * sample of zeros, as Docker's engine does.
 */
export async function* stats(
  handle: ProcessHandle,
  options: { readonly stream?: boolean; readonly signal?: AbortSignal; readonly intervalMs?: number } = {},
): AsyncGenerator<Stats> {
  const { signal } = options;
  const interval = options.intervalMs ?? INTERVAL_MS;
  if (signal?.aborted === true) return;
  if (!(await alive(handle.pid))) {
    yield { time: new Date(), ...ZERO };
    return;
  }
  let previous = await sample(handle);
  for (;;) {
    if (!(await wait(interval, signal))) return;
    const current = await sample(handle);
    yield toStats(current, previous);
    if (options.stream === false) return;
    previous = current;
  }
}
