/**
 * Every file the loader reads is read through one bounded reader: whatever it is named (a device,
 * a pipe, a file that grows), it reads at most the bound and then fails with a sentence.
 */
import { spawn } from "node:child_process";
import { symlinkSync, writeFileSync, mkdirSync } from "node:fs";

import path from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { LoadError } from "../../../src/errors.js";
import { readBounded, readStreamBounded } from "../../../src/project/read-bounded.js";
import { tempDir } from "../../file-tree.js";

const dir = tempDir("read");
const KIB = 1024;

async function failure(read: Promise<unknown>): Promise<string> {
  const error = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoadError);
  return (error as LoadError).describe();
}

describe("readBounded", () => {
  it("reads a regular file whole", async () => {
    const file = path.join(dir, "small.yaml");
    writeFileSync(file, "services: {}\n");
    expect(Buffer.from(await readBounded(file, "small.yaml", "small.yaml")).toString()).toBe(
      "services: {}\n",
    );
  });

  it("reads an empty file as no bytes", async () => {
    const file = path.join(dir, "empty.yaml");
    writeFileSync(file, "");
    expect((await readBounded(file, "empty.yaml", "empty.yaml")).length).toBe(0);
  });

  it("refuses a regular file past the bound before reading it", async () => {
    const file = path.join(dir, "big.yaml");
    writeFileSync(file, "a".repeat(4 * KIB + 1));
    expect(await failure(readBounded(file, "big.yaml", "big.yaml", 4 * KIB))).toBe(
      "big.yaml:1:1: file is larger than 4 KiB",
    );
    expect((await readBounded(file, "big.yaml", "big.yaml", 8 * KIB)).length).toBe(4 * KIB + 1);
  });

  // A regular file may hold more than its size said (it grew, or it is a /proc file of size 0):
  // reading goes on past the size, and stops at the bound all the same.
  it("reads past a regular file's stated size, up to the bound", async () => {
    const status = Buffer.from(await readBounded("/proc/self/status", "status", "status")).toString();
    expect(status).toMatch(/^Name:/);
    expect(await failure(readBounded("/proc/self/status", "status", "status", 64))).toBe(
      "status:1:1: file is larger than 64 bytes",
    );
  });

  // Before: readFile(/dev/zero) grew until memory ran out.
  it("stops reading a device that never ends at the bound, quickly", async () => {
    const started = Date.now();
    for (const device of ["/dev/zero", "/dev/urandom"]) {
      const error = await readBounded(device, device, device).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoadError);
      expect((error as LoadError).describe()).toBe(`${device}:1:1: file is larger than 8 MiB`);
      expect((error as LoadError).hint).toBe(
        `${device} is not a regular file; berth reads at most 8 MiB from it`,
      );
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reads a pipe (as `-f <(cat compose.yaml)` names one) and bounds an endless one", async () => {
    const fifo = path.join(dir, "pipe");
    await execa("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", 'printf "services: {}\\n" > "$0"', fifo], { stdio: "ignore" });
    const written = new Promise((resolve) => writer.once("exit", resolve));
    expect(Buffer.from(await readBounded(fifo, "pipe", "pipe")).toString()).toBe("services: {}\n");
    await written;

    // `yes` writes for ever: the read stops one chunk past the bound, and closing the pipe ends `yes`.
    const endless = spawn("sh", ["-c", 'exec yes > "$0"', fifo], { stdio: "ignore" });
    const exited = new Promise((resolve) => endless.once("exit", resolve));
    try {
      expect(await failure(readBounded(fifo, "pipe", "pipe", 64 * KIB))).toBe(
        "pipe:1:1: file is larger than 64 KiB",
      );
      await exited;
    } finally {
      endless.kill("SIGKILL");
    }
  });

  it("says a symlink loop is one", async () => {
    symlinkSync("loop-b", path.join(dir, "loop-a"));
    symlinkSync("loop-a", path.join(dir, "loop-b"));
    expect(await failure(readBounded(path.join(dir, "loop-a"), "loop-a", "env file loop-a"))).toBe(
      "env file loop-a is a symlink loop",
    );
  });

  it("says a directory is one, and a missing file is not found", async () => {
    mkdirSync(path.join(dir, "folder"));
    expect(await failure(readBounded(path.join(dir, "folder"), "folder", "folder"))).toBe(
      "folder is a directory",
    );
    expect(await failure(readBounded(path.join(dir, "nope"), "nope", "env file nope"))).toBe(
      "env file nope not found",
    );
  });
});

describe("readStreamBounded", () => {
  it("reads a stream whole", async () => {
    expect(Buffer.from(await readStreamBounded(Readable.from([Buffer.from("a: 1\n")]), "-")).toString()).toBe(
      "a: 1\n",
    );
  });

  // Before: `yes | berth -f - config` read standard input until memory ran out.
  it("stops an endless stream at the bound and destroys it", async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(16 * KIB, 0x79));
      },
    });
    const error = await readStreamBounded(endless, "-", 64 * KIB).catch((e: unknown) => e);
    expect((error as LoadError).describe()).toBe("-:1:1: file is larger than 64 KiB");
    expect((error as LoadError).hint).toBe(
      "standard input is not a regular file; berth reads at most 64 KiB from it",
    );
    expect(endless.destroyed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});
