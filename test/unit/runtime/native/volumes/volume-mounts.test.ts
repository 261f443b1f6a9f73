import { describe, expect, it } from "vitest";
import {
  hostMounts,
  inspectedMounts,
  listedMounts,
  volumeSourcesOf,
} from "../../../../../src/runtime/native/containers/volume-mounts.js";
import { nativePaths } from "../../../../../src/runtime/native/paths.js";
import type { ContainerSpec } from "../../../../../src/runtime/runtime.js";

const paths = nativePaths({ BERTH_ROOT: "/b", BERTH_RUN_ROOT: "/r" });

/** A container's mounts as the record keeps them after create: every volume named. */
const spec: ContainerSpec = {
  name: "c",
  image: "i",
  labels: {},
  mounts: [
    { type: "volume", source: "proj_data", target: "/data" },
    { type: "volume", source: "proj_data", target: "/part", subpath: "sub/dir", readOnly: true },
    { type: "bind", source: "/host/dir", target: "/host" },
    { type: "tmpfs", target: "/run" },
  ],
};

describe("a container's volume mounts (what config.json, inspect, ps and copy see)", () => {
  it("binds each volume's _data (a subpath inside it) by target", () => {
    expect(volumeSourcesOf(paths, spec)).toEqual({
      "/data": "/b/volumes/proj_data/_data",
      "/part": "/b/volumes/proj_data/_data/sub/dir",
    });
  });

  it("gives inspect a volume's name and directory, a bind's source, a tmpfs none", () => {
    expect(inspectedMounts(paths, spec)).toEqual([
      {
        type: "volume",
        name: "proj_data",
        source: "/b/volumes/proj_data/_data",
        target: "/data",
        readOnly: false,
      },
      {
        type: "volume",
        name: "proj_data",
        source: "/b/volumes/proj_data/_data",
        target: "/part",
        readOnly: true,
      },
      { type: "bind", source: "/host/dir", target: "/host", readOnly: false },
      { type: "tmpfs", source: "", target: "/run", readOnly: false },
    ]);
  });

  it("lists volumes by name with the local driver and binds by source, as Docker's list does", () => {
    expect(listedMounts(inspectedMounts(paths, spec))).toEqual([
      { name: "proj_data", source: "/b/volumes/proj_data/_data", driver: "local" },
      { name: "proj_data", source: "/b/volumes/proj_data/_data", driver: "local" },
      { source: "/host/dir" },
    ]);
  });

  it("gives copy the host path of binds and volumes, not of a tmpfs", () => {
    expect(hostMounts(paths, spec)).toEqual([
      { source: "/b/volumes/proj_data/_data", target: "/data", readOnly: false },
      { source: "/b/volumes/proj_data/_data/sub/dir", target: "/part", readOnly: true },
      { source: "/host/dir", target: "/host", readOnly: false },
    ]);
  });
});
