import { describe, expect, it } from "vitest";
import {
  cpuPercent,
  parseBlkioV1,
  parseIoStatV2,
  parseKeyValues,
  parseNetDev,
  parseSystemCpu,
  type Sample,
  toStats,
} from "../../../../../src/runtime/native/process/stats.js";

const sample = (over: Partial<Sample>): Sample => ({
  time: new Date(0),
  cpuNs: 0,
  systemNs: 0,
  onlineCpus: 2,
  memoryUsage: 0,
  memoryCache: 0,
  memoryLimit: 0,
  pids: 0,
  blockRead: 0,
  blockWrite: 0,
  networkRx: 0,
  networkTx: 0,
  ...over,
});

describe("stats from cgroup files", () => {
  it("sums the cpu line of /proc/stat (user … steal) in nanoseconds", () => {
    const procStat = "cpu  100 2 30 400 5 0 6 7 8 9\ncpu0 50 1 15 200 2 0 3 3 4 4\nintr 1 2\n";
    expect(parseSystemCpu(procStat)).toBe(((100 + 2 + 30 + 400 + 5 + 0 + 6) * 1e9) / 100);
  });

  it("computes Docker's CPU %: Δcpu / Δsystem × online CPUs × 100, 0 without a base", () => {
    const before = sample({ cpuNs: 1e9, systemNs: 100e9 });
    const after = sample({ cpuNs: 1.5e9, systemNs: 102e9 });
    expect(cpuPercent(after, before)).toBeCloseTo(50);
    expect(cpuPercent(after, undefined)).toBe(0);
    expect(cpuPercent(before, after)).toBe(0);
  });

  it("gives memory less the page cache, unless the cache is larger", () => {
    expect(
      toStats(sample({ memoryUsage: 10_000, memoryCache: 4_000, memoryLimit: 99 }), undefined),
    ).toMatchObject({
      memoryUsageBytes: 6_000,
      memoryLimitBytes: 99,
    });
    expect(toStats(sample({ memoryUsage: 1_000, memoryCache: 4_000 }), undefined).memoryUsageBytes).toBe(
      1_000,
    );
  });

  it("reads memory.stat, v1 blkio, v2 io.stat and net/dev", () => {
    expect(parseKeyValues("cache 4096\nrss 8192\ntotal_cache 4096\n").get("cache")).toBe(4096);
    const blkio = "8:0 Read 4096\n8:0 Write 1024\n8:0 Sync 5120\n8:0 Total 5120\n8:16 Read 10\nTotal 5130\n";
    expect(parseBlkioV1(blkio)).toEqual({ read: 4106, write: 1024 });
    expect(parseIoStatV2("8:0 rbytes=100 wbytes=20 rios=1 wios=1\n8:16 rbytes=1 wbytes=2\n")).toEqual({
      read: 101,
      write: 22,
    });
    const netDev = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0",
      "  eth0:    1200      10    0    0    0     0          0         0      340       4    0    0    0     0       0          0",
      "  eth1:      10       1    0    0    0     0          0         0        5       1    0    0    0     0       0          0",
    ].join("\n");
    expect(parseNetDev(netDev)).toEqual({ rx: 1210, tx: 345 });
  });
});
