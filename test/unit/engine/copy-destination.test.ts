/** docker cp's naming rules (CopyInfoDestinationPath): where a copy lands and under what name. */
import { describe, expect, it } from "vitest";
import { CopyError, destinationOf } from "../../../src/engine/copy-archive.js";

const dirSrc = { path: "/host/src", isDir: true };
const fileSrc = { path: "/host/a.txt", isDir: false };
const existingDir = (p: string) => ({ path: p, exists: true, isDir: true });
const existingFile = (p: string) => ({ path: p, exists: true, isDir: false });
const missing = (p: string) => ({ path: p, exists: false, isDir: false });

describe("destinationOf", () => {
  it("puts a source inside an existing directory, under its own name", () => {
    expect(destinationOf(dirSrc, existingDir("/tmp"))).toEqual({ dir: "/tmp", name: "src" });
    expect(destinationOf(fileSrc, existingDir("/tmp/"))).toEqual({ dir: "/tmp/", name: "a.txt" });
  });

  it("copies only a directory's contents for SRC/.", () => {
    expect(destinationOf({ path: "/host/src/.", isDir: true }, existingDir("/tmp"))).toEqual({
      dir: "/tmp",
      name: undefined,
    });
  });

  it("gives a missing destination's name to the source", () => {
    expect(destinationOf(dirSrc, missing("/tmp/dst"))).toEqual({ dir: "/tmp", name: "dst" });
    expect(destinationOf(fileSrc, missing("/tmp/b.txt"))).toEqual({ dir: "/tmp", name: "b.txt" });
    expect(destinationOf(dirSrc, missing("/tmp/dst/"))).toEqual({ dir: "/tmp", name: "dst" });
  });

  it("overwrites an existing file with a file", () => {
    expect(destinationOf(fileSrc, existingFile("/tmp/b.txt"))).toEqual({ dir: "/tmp", name: "b.txt" });
  });

  it("refuses a directory onto a file, and a file into a missing directory", () => {
    expect(() => destinationOf(dirSrc, existingFile("/tmp/b.txt"))).toThrow(CopyError);
    expect(() => destinationOf(fileSrc, missing("/tmp/nodir/"))).toThrow(/no such directory/);
  });
});
