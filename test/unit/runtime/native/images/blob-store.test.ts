/**
 * The blob store on a temporary directory: a blob exists only whole and right. A stream that fails
 * part-way or has the wrong digest or size leaves no blob and no temporary file; a second writer of
 * one blob waits for the first and reads nothing; what a killed writer left is swept.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openBlobStore, type BlobStore } from "../../../../../src/runtime/native/images/blob-store.js";
import { sha256 } from "../../../../../src/runtime/native/images/digest.js";
import { sweepTemporaries } from "../../../../../src/runtime/native/images/temp-files.js";

describe("blob store", () => {
  let dir: string;
  let blobs: BlobStore;
  const files = (): string[] => readdirSync(path.join(dir, "blobs", "sha256")).sort();

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "berth-blobs-"));
    blobs = openBlobStore(path.join(dir, "blobs"), path.join(dir, "locks"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a blob under its digest, and refuses content that does not match, leaving nothing", async () => {
    const digest = sha256("hello");
    expect(
      await blobs.ensure(digest, () => Readable.from([Buffer.from("hel"), Buffer.from("lo")]), { size: 5 }),
    ).toBe(true);
    expect((await blobs.read(digest)).toString()).toBe("hello");
    expect((await blobs.head(digest, 2)).toString()).toBe("he");
    expect((await blobs.head(digest, 99)).toString()).toBe("hello");
    const other = sha256("other");
    await expect(blobs.ensure(other, () => Readable.from([Buffer.from("not other")]))).rejects.toThrow(
      /content's digest is/,
    );
    await expect(
      blobs.ensure(other, () => Readable.from([Buffer.from("other")]), { size: 6 }),
    ).rejects.toThrow(/expected 6 bytes, got 5/);
    expect(files()).toEqual([digest.slice(7)]);
  });

  it("leaves no blob and no temporary file when the stream fails part-way", async () => {
    const digest = sha256("whole");
    const failing = (): Readable =>
      Readable.from(
        (async function* () {
          yield Buffer.from("who");
          throw new Error("connection reset");
        })(),
      );
    await expect(blobs.ensure(digest, failing)).rejects.toThrow("connection reset");
    expect(files()).toEqual([]);
  });

  it("a second writer of the same blob waits for the first and does not read its source", async () => {
    const digest = sha256("shared");
    let opened = 0;
    const source = (): Readable => {
      opened++;
      return Readable.from([Buffer.from("shared")]);
    };
    const results = await Promise.all([blobs.ensure(digest, source), blobs.ensure(digest, source)]);
    expect(results.sort()).toEqual([false, true]);
    expect(opened).toBe(1);
  });

  it("sweeps temporaries whose writer is gone, and keeps a live writer's", async () => {
    const sha = path.join(dir, "blobs", "sha256");
    await blobs.putBytes("x");
    writeFileSync(path.join(sha, ".tmp-999999999-dead"), "half");
    writeFileSync(path.join(sha, `.tmp-${process.pid}-live`), "half");
    await sweepTemporaries(sha);
    expect(files()).toEqual([`.tmp-${process.pid}-live`, sha256("x").slice(7)]);
  });
});
