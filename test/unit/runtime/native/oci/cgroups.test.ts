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
    expect(cgroupHost(tree("v1", { "memory/memory.memsw.limit_in_bytes": "" }))).toEqual({
      cgroupVersion: 1,
      memswAvailable: true,
    });
    expect(cgroupHost(tree("v1-nomemsw", { "memory/memory.limit_in_bytes": "" }))).toEqual({
      cgroupVersion: 1,
      memswAvailable: false,
    });
  });

  it("v2 by cgroup.controllers at the root, swap with the memory controller", () => {
    expect(cgroupHost(tree("v2", { "cgroup.controllers": "cpuset cpu io memory pids\n" }))).toEqual({
      cgroupVersion: 2,
      memswAvailable: true,
    });
    expect(cgroupHost(tree("v2-nomem", { "cgroup.controllers": "cpu pids\n" }))).toEqual({
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
