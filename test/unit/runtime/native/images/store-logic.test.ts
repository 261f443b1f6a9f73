/**
 * The image store's pure parts: chain IDs, overlay mount options within a page, mount points read
 * from mountinfo, layer entry paths, and the list filters.
 */
import { describe, expect, it } from "vitest";
import { chainIds, sha256 } from "../../../../../src/runtime/native/images/digest.js";
import { matchesLabels, matchesReference } from "../../../../../src/runtime/native/images/filters.js";
import { mountPoints, overlayMountPlan } from "../../../../../src/runtime/native/images/rootfs.js";
import { entryPath } from "../../../../../src/runtime/native/images/unpack.js";

const hex = (n: number): string => n.toString(16).padStart(64, "0");

describe("image store logic", () => {
  it("chain IDs: the first is the diff ID, each next the sha256 of 'parent diffid'", () => {
    const a = `sha256:${hex(1)}` as const;
    const b = `sha256:${hex(2)}` as const;
    expect(chainIds([a, b])).toEqual([a, sha256(`${a} ${b}`)]);
  });

  it("overlay options list lowerdirs top first, and switch to the short links when a page would overflow", () => {
    const layerDirs = [1, 2].map((n) => `/var/lib/berth/layers/${hex(n)}/diff`);
    const mount = { layerDirs, upper: "/c/upper", work: "/c/work", target: "/c/merged" };
    expect(overlayMountPlan(mount)).toEqual({
      options: `lowerdir=${layerDirs[1]}:${layerDirs[0]},upperdir=/c/upper,workdir=/c/work`,
    });
    expect(overlayMountPlan({ ...mount, readOnly: true }).options).toMatch(/,ro$/);
    expect(overlayMountPlan(mount, 100)).toEqual({
      options: `lowerdir=l/${hex(2).slice(0, 16)}:l/${hex(1).slice(0, 16)},upperdir=/c/upper,workdir=/c/work`,
      cwd: "/var/lib/berth/layers",
    });
    expect(() => overlayMountPlan({ ...mount, upper: "/a,b" })).toThrow(/','/);
  });

  it("reads mount points from mountinfo, undoing its octal escapes", () => {
    const text =
      "36 35 98:0 / /mnt/with\\040space rw - ext4 /dev/x rw\n37 35 0:1 / /proc rw - proc proc rw\n";
    expect(mountPoints(text)).toEqual(["/mnt/with space", "/proc"]);
  });

  it("layer entry paths are normalised and may not leave the layer", () => {
    expect(entryPath("./a//b/")).toBe("a/b");
    expect(entryPath("/etc/passwd")).toBe("etc/passwd");
    expect(entryPath("a/../../b")).toBe("b"); // anchored at the layer root, as a tar path is
  });

  it("filters by reference glob and by labels as docker images --filter does", () => {
    const tags = ["berth-test/busybox:abc", "127.0.0.1:5000/app:1"];
    expect(matchesReference("berth-test/*", tags)).toBe(true);
    expect(matchesReference("berth-test/busybox:a*", tags)).toBe(true);
    expect(matchesReference("busybox", tags)).toBe(false);
    expect(matchesReference("*", tags)).toBe(false); // '*' does not cross '/'
    expect(matchesLabels({ a: "1", b: "" }, ["a=1", "b"])).toBe(true);
    expect(matchesLabels({ a: "1" }, ["a=2"])).toBe(false);
  });
});
