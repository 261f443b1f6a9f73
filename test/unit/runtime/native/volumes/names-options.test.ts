import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../../../src/runtime/errors.js";
import { mountPoints } from "../../../../../src/runtime/native/volumes/mounts.js";
import {
  anonymousVolumeName,
  mountArgs,
  parseDriverOpts,
  validateVolumeName,
  volumeNameProblem,
} from "../../../../../src/runtime/native/volumes/index.js";

describe("volume names (Docker's local driver)", () => {
  it("takes names of two or more restricted characters", () => {
    for (const name of ["ab", "a1", "my_vol.data-1", "0x", "proj_db-data"]) {
      expect(volumeNameProblem(name)).toBeUndefined();
    }
  });

  it("refuses one character with Docker's message", () => {
    expect(volumeNameProblem("a")).toBe(
      "volume name is too short, names should be at least two alphanumeric characters",
    );
  });

  it("refuses other characters, paths and a leading punctuation", () => {
    for (const name of ["a b", "../etc", "a/b", "_ab", ".ab", "-ab", "", "é1"]) {
      expect(volumeNameProblem(name), name).toBeDefined();
    }
    expect(() => validateVolumeName("a b")).toThrow(
      'create a b: "a b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path',
    );
  });

  it("makes anonymous names of 64 hex characters, each new", () => {
    const a = anonymousVolumeName();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(anonymousVolumeName()).not.toBe(a);
  });
});

describe("driver_opts (moby's validOpts and mandatoryOpts)", () => {
  const fails = (opts: Record<string, string>): string => {
    try {
      parseDriverOpts("v1", opts);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };

  it("no options mean a plain directory", () => {
    expect(parseDriverOpts("v1", undefined)).toBeUndefined();
    expect(parseDriverOpts("v1", {})).toBeUndefined();
  });

  it("a bind and a tmpfs as Docker's docs write them", () => {
    expect(parseDriverOpts("v1", { type: "none", o: "bind", device: "/srv/data" })).toEqual({
      type: "none",
      o: "bind",
      device: "/srv/data",
    });
    expect(parseDriverOpts("v1", { type: "tmpfs", device: "tmpfs", o: "size=64m,uid=1000" })).toEqual({
      type: "tmpfs",
      device: "tmpfs",
      o: "size=64m,uid=1000",
    });
  });

  it("refuses what dockerd 20.10 refuses, with its messages", () => {
    expect(fails({ foo: "1" })).toBe('create v1: invalid option: "foo"');
    expect(fails({ type: "tmpfs", o: "size=1m" })).toBe('create v1: missing required option: "device"');
    expect(fails({ o: "size=1m" })).toBe('create v1: missing required option: "device"');
    expect(fails({ device: "/x" })).toBe('create v1: missing required option: "type"');
    expect(fails({ size: "1m" })).toBe("create v1: quota size requested but no quota support");
  });

  it("refuses a relative bind device", () => {
    expect(fails({ type: "none", o: "bind", device: "data" })).toContain("absolute path");
  });

  it("mount arguments keep user data as separate arguments", () => {
    expect(mountArgs({ type: "none", o: "bind", device: "/srv/a b" }, "/v/_data")).toEqual([
      "-t",
      "none",
      "-o",
      "bind",
      "--",
      "/srv/a b",
      "/v/_data",
    ]);
    expect(mountArgs({ type: "tmpfs", o: "", device: "tmpfs" }, "/v/_data")).toEqual([
      "-t",
      "tmpfs",
      "--",
      "tmpfs",
      "/v/_data",
    ]);
  });
});

describe("mountinfo", () => {
  it("reads mount points with their octal escapes undone", () => {
    const text =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
      "99 22 0:50 / /var/tmp/a\\040b/_data rw shared:2 - tmpfs tmpfs rw,size=1024k\n";
    expect(mountPoints(text)).toEqual(["/", "/var/tmp/a b/_data"]);
  });
});
