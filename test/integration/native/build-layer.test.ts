/**
 * A build step's layer from a real overlay upper dir (as root): whiteouts and opaque directories
 * in Docker's tar form, hard links, FIFOs, symlinks and owners kept; the step committed through the
 * image store with the classic builder's history and diff IDs; the committed image mounted again
 * shows exactly the merged view the step left.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { chown, link, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitStep, parentOf } from "../../../src/runtime/native/build/commit-step.js";
import { upperDirTar } from "../../../src/runtime/native/build/layer-diff.js";
import { sha256 } from "../../../src/runtime/native/images/digest.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { parseReference, tagKey } from "../../../src/runtime/native/images/reference.js";
import { mountRootfs, unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import { requireOrSkip } from "../engine.js";
import { toBuffer } from "../images.js";

const native = process.getuid?.() === 0 && (existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc"));

async function baseTar(): Promise<Buffer> {
  const pack = tar.pack();
  const file = (name: string, content: string): void => {
    pack.entry({ name, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }, content);
  };
  const dir = (name: string): void => {
    pack.entry({ name, type: "directory", mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
  };
  file("a", "a");
  file("keep", "keep");
  dir("d/");
  file("d/x", "x");
  file("d/y", "y");
  dir("e/");
  file("e/z", "z");
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

async function entriesOf(stream: AsyncIterable<Uint8Array>): Promise<{ header: tar.Header; body: string }[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  const out: { header: tar.Header; body: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const extract = tar.extract();
    extract.on("entry", (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on("data", (part: unknown) => parts.push(toBuffer(part)));
      stream.on("end", () => {
        out.push({ header, body: Buffer.concat(parts).toString() });
        next();
      });
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    extract.end(Buffer.concat(chunks));
  });
  return out;
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[1]?.startsWith(dir));
}

describe("native build: a step's layer from the overlay upper dir", () => {
  let base: string;
  let paths: NativePaths;
  const targets: string[] = [];

  beforeAll(() => {
    base = mkdtempSync("/var/tmp/berth-build-layer-");
    paths = nativePaths({ BERTH_ROOT: path.join(base, "root"), BERTH_RUN_ROOT: path.join(base, "run") });
  });

  afterAll(async () => {
    if (!base) return;
    for (const target of targets) await unmountRootfs(target);
    expect(mountsUnder(base)).toEqual([]);
    rmSync(base, { recursive: true, force: true });
  });

  async function mount(
    name: string,
    layerDirs: readonly string[],
  ): Promise<{ upper: string; target: string }> {
    const dir = path.join(base, name);
    const target = path.join(dir, "merged");
    targets.push(target);
    await mountRootfs({ layerDirs, upper: path.join(dir, "upper"), work: path.join(dir, "work"), target });
    return { upper: path.join(dir, "upper"), target };
  }

  it("writes whiteouts, opaque dirs, links and owners as Docker does, and commits the step", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const store = openImageStore(paths);
    await store.importRootfs(Readable.from([await baseTar()]), { reference: "berth-test/build-base:1" });
    const parentImage = await store.resolve("berth-test/build-base:1");

    // What a RUN step would do in its container.
    const step = await mount("step", parentImage.layerDirs);
    const m = step.target;
    await rm(path.join(m, "a"));
    await rm(path.join(m, "d"), { recursive: true });
    await mkdir(path.join(m, "d"));
    await writeFile(path.join(m, "d/new"), "new");
    await writeFile(path.join(m, "e/new2"), "n2");
    await chown(path.join(m, "e/new2"), 1000, 1001);
    await execa("mkfifo", [path.join(m, "f")]);
    await writeFile(path.join(m, "h1"), "hard");
    await link(path.join(m, "h1"), path.join(m, "h2"));
    await symlink("keep", path.join(m, "s"));
    await unmountRootfs(m);

    const entries = await entriesOf(upperDirTar(step.upper));
    expect(entries.map((e) => e.header.name)).toEqual([
      ".wh.a",
      "d/",
      "d/.wh..wh..opq",
      "d/new",
      "e/",
      "e/new2",
      "f",
      "h1",
      "h2",
      "s",
    ]);
    const byName = new Map(entries.map((e) => [e.header.name, e]));
    expect(byName.get(".wh.a")!.header).toMatchObject({ type: "file", mode: 0o600, size: 0 });
    expect(byName.get("d/.wh..wh..opq")!.header).toMatchObject({ type: "file", size: 0 });
    expect(byName.get("d/new")!.body).toBe("new");
    expect(byName.get("e/new2")!.header).toMatchObject({ uid: 1000, gid: 1001 });
    expect(byName.get("f")!.header.type).toBe("fifo");
    expect(byName.get("h2")!.header).toMatchObject({ type: "link", linkname: "h1" });
    expect(byName.get("s")!.header).toMatchObject({ type: "symlink", linkname: "keep" });

    // Committed as the classic builder does: a RUN with a layer, then an ENV without one.
    const record = (await store.parts.records.get(parentImage.id as `sha256:${string}`))!;
    const runTag = tagKey(parseReference("berth-test/build-step:run"))!;
    const run = await commitStep(store.parts, {
      parent: parentOf(record, parentImage.config),
      containerConfig: { Cmd: ["/bin/sh"] },
      createdBy: "/bin/sh -c rm a && …",
      layer: Readable.from(upperDirTar(step.upper)),
      tags: [runTag],
    });
    const runImage = await store.resolve("berth-test/build-step:run");
    expect(runImage.id).toBe(run.id);
    const tarBytes = Buffer.concat(
      await (async () => {
        const out: Buffer[] = [];
        for await (const chunk of upperDirTar(step.upper)) out.push(Buffer.from(chunk));
        return out;
      })(),
    );
    expect(runImage.config.rootfs.diff_ids).toEqual([
      ...parentImage.config.rootfs.diff_ids,
      sha256(tarBytes),
    ]);
    expect(runImage.config.history?.at(-1)).toMatchObject({ created_by: "/bin/sh -c rm a && …" });
    expect(runImage.config.history?.at(-1)?.empty_layer).toBeUndefined();
    expect(runImage.config.config).toEqual({ Cmd: ["/bin/sh"] });

    const env = await commitStep(store.parts, {
      parent: parentOf(run, runImage.config),
      containerConfig: { Cmd: ["/bin/sh"], Env: ["A=1"] },
      createdBy: "/bin/sh -c #(nop)  ENV A=1",
      tags: [tagKey(parseReference("berth-test/build-step:env"))!],
    });
    const envImage = await store.resolve("berth-test/build-step:env");
    expect(envImage.id).toBe(env.id);
    expect(envImage.config.rootfs.diff_ids).toEqual(runImage.config.rootfs.diff_ids);
    expect(envImage.config.history?.map((h) => h.empty_layer ?? false)).toEqual([false, false, true]);

    // The committed image shows what the step left.
    const view = await mount("view", envImage.layerDirs);
    const v = view.target;
    expect((await readdir(v)).sort()).toEqual(["d", "e", "f", "h1", "h2", "keep", "s"]);
    expect(await readdir(path.join(v, "d"))).toEqual(["new"]);
    expect((await readdir(path.join(v, "e"))).sort()).toEqual(["new2", "z"]);
    expect(await readFile(path.join(v, "e/new2"), "utf8")).toBe("n2");
    expect((await stat(path.join(v, "e/new2"))).uid).toBe(1000);
    expect((await stat(path.join(v, "h1"))).ino).toBe((await stat(path.join(v, "h2"))).ino);
    expect((await lstat(path.join(v, "f"))).isFIFO()).toBe(true);
    expect(await readFile(path.join(v, "s"), "utf8")).toBe("keep");
    await unmountRootfs(v);
  });
});
