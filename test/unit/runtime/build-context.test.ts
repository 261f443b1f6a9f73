/**
 * The build context tar, read the way the engine reads it (slower than the disk), from a real
 * directory: a large file arrives whole, and the pauses it causes leave no listeners behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { setImmediate as tick } from "node:timers/promises";
import tar from "tar-stream";
import { afterAll, expect, it } from "vitest";
import { contextTar } from "../../../src/runtime/docker/build-context.js";

const dir = mkdtempSync(path.join(tmpdir(), "berth-context-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("sends a large file whole, through many pauses, without leaking listeners", async () => {
  const size = 8 * 1024 * 1024 + 123;
  writeFileSync(path.join(dir, "Dockerfile"), "FROM scratch\nCOPY big /big\n");
  writeFileSync(path.join(dir, "big"), Buffer.alloc(size, 7));
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on("warning", onWarning);
  try {
    async function* slowly(): AsyncIterable<Uint8Array> {
      for await (const chunk of contextTar(dir, "Dockerfile")) {
        await tick();
        yield chunk;
      }
    }
    const sizes = new Map<string, number>();
    const extract = tar.extract();
    const read = (async () => {
      for await (const entry of extract) {
        let bytes = 0;
        for await (const chunk of entry) bytes += (chunk as Buffer).length;
        sizes.set(entry.header.name, bytes);
      }
    })();
    Readable.from(slowly()).pipe(extract);
    await read;
    await tick();
    expect(sizes.get("big")).toBe(size);
    expect(sizes.get("Dockerfile")).toBe("FROM scratch\nCOPY big /big\n".length);
  } finally {
    process.off("warning", onWarning);
  }
  expect(warnings.map((w) => w.message)).toEqual([]);
});
