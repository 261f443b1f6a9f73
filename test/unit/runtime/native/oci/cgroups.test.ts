/**
 * The cgroup version and swap accounting must be read as runc and Docker read them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cgroupHost, cgroupsPathFor } from "../../../../../src/runtime/native/oci/cgroups.js";

describe("cgroupHost", () => {
  const base = mkdtempSync(path.join(tmpdir(), "berth-oci-cgroups-"));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  function tree(name: string, files: Record<string, string>): string {
    const root = path.join(base, name);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      writeFileSync(path.join(root, p), text);
    }
    mkdirSync(root, { recursive: true });
    return root;
  }

  it("v1 with and without memsw", () => {
    expect(cgroupHost(tree("v1", { "memory/memory.memsw.limit_in_bytes": "" }))).toMatchObject({
      cgroupVersion: 1,
      memswAvailable: true,
    });
    expect(cgroupHost(tree("v1-nomemsw", { "memory/memory.limit_in_bytes": "" }))).toMatchObject({
      cgroupVersion: 1,
      memswAvailable: false,
    });
  });

  it("v1's optional limits by their files, as Docker's sysInfo finds them", () => {
    const none = { swappiness: false, oomKillDisable: false, cpuRealtime: false };
    expect(cgroupHost(tree("v1-bare", { "memory/memory.limit_in_bytes": "" })).features).toEqual({
      ...none,
      blkioWeight: false,
      blkioWeightDevice: false,
      blkioThrottle: false,
    });
    const full = cgroupHost(
      tree("v1-full", {
        "memory/memory.swappiness": "",
        "memory/memory.oom_control": "",
        "cpu/cpu.rt_period_us": "",
        "cpu/cpu.rt_runtime_us": "",
        "blkio/blkio.weight": "",
        "blkio/blkio.weight_device": "",
        "blkio/blkio.throttle.read_bps_device": "",
      }),
    );
    expect(full.features).toEqual({
      swappiness: true,
      oomKillDisable: true,
      cpuRealtime: true,
      blkioWeight: true,
      blkioWeightDevice: true,
      blkioThrottle: true,
    });
  });

  it("v2 by cgroup.controllers at the root, swap with the memory controller", () => {
    const v2 = cgroupHost(tree("v2", { "cgroup.controllers": "cpuset cpu io memory pids\n" }));
    expect(v2).toMatchObject({ cgroupVersion: 2, memswAvailable: true });
    // Docker 20.10 on v2: throttles through io, no swappiness, OOM switch, real-time or weight without BFQ.
    expect(v2.features).toMatchObject({
      swappiness: false,
      oomKillDisable: false,
      blkioWeight: false,
      blkioThrottle: true,
    });
    expect(cgroupHost(tree("v2-nomem", { "cgroup.controllers": "cpu pids\n" }))).toMatchObject({
      cgroupVersion: 2,
      memswAvailable: false,
    });
  });
});

describe("cgroupsPathFor", () => {
  it("puts a container under /berth, or under its cgroup_parent", () => {
    expect(cgroupsPathFor("abc")).toBe("/berth/abc");
    expect(cgroupsPathFor("abc", "")).toBe("/berth/abc");
    expect(cgroupsPathFor("abc", "/ci/jobs")).toBe("/ci/jobs/abc");
    expect(cgroupsPathFor("abc", "relative")).toBe("/relative/abc");
  });
});
