/**
 * The native image store on the real filesystem, as root: a busybox rootfs imported, resolved and
 * mounted through overlayfs (writes land in the upper dir, nothing stays mounted after), and
 * whiteouts honoured (a deleted file and an opaque directory of a lower layer are not seen).
 * Everything lives under a temporary BERTH_ROOT/BERTH_RUN_ROOT in /var/tmp, removed after.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../../src/runtime/native/images/digest.js";
import { commitImage } from "../../../src/runtime/native/images/commit.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { MediaType } from "../../../src/runtime/native/images/media-types.js";
import { mountRootfs, unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import { requireOrSkip } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar, toBuffer } from "../images.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;

interface Entry {
  readonly name: string;
  readonly type?: "file" | "directory" | "symlink" | "link";
  readonly content?: string;
  readonly linkname?: string;
}

async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    const type = entry.type ?? "file";
    const header: tar.Header = {
      name: entry.name,
      type,
      mode: type === "directory" ? 0o755 : 0o644,
      mtime: new Date(0),
      linkname: entry.linkname ?? "",
      size: Buffer.byteLength(entry.content ?? ""),
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      devmajor: 0,
      devminor: 0,
    };
    if (type === "file") pack.entry(header, entry.content ?? "");
    else pack.entry({ ...header, size: 0 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[1]?.startsWith(dir));
}

describe("native image store", () => {
  let base: string;
  let paths: NativePaths;
  const targets: string[] = [];

  beforeAll(() => {
    base = mkdtempSync("/var/tmp/berth-images-test-");
    paths = nativePaths({ BERTH_ROOT: path.join(base, "root"), BERTH_RUN_ROOT: path.join(base, "run") });
  });

  /** Mounts the layers as container `name`'s rootfs (unmounted in afterAll if a test fails). */
  async function mountFor(
    name: string,
    layerDirs: readonly string[],
    pageSize?: number,
  ): Promise<{ container: string; target: string }> {
    const container = path.join(paths.containers, name);
    const target = path.join(container, "merged");
    targets.push(target);
    await mountRootfs(
      {
        layerDirs,
        upper: path.join(container, "upper"),
        work: path.join(container, "work"),
        target,
      },
      pageSize,
    );
    return { container, target };
  }

  afterAll(async () => {
    if (!base) return;
    for (const target of targets) await unmountRootfs(target);
    expect(mountsUnder(base)).toEqual([]);
    rmSync(base, { recursive: true, force: true });
  });

  it("imports a busybox rootfs, resolves it and mounts it through overlayfs; writes land in the upper dir", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const store = openImageStore(paths);
    const rootfs = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
    const { id } = await store.importRootfs(Readable.from([rootfs]), {
      reference: "berth-test/native-busybox:1",
      changes: ['CMD ["/bin/sh"]', "ENV A=1", "STOPSIGNAL SIGINT", "LABEL berth.test=images"],
    });
    expect(id).toBe(sha256(await readFile(path.join(paths.blobs, "sha256", id.slice(7)))));

    const resolved = await store.resolve("berth-test/native-busybox:1");
    expect(resolved.id).toBe(id);
    expect(resolved.config.config?.Cmd).toEqual(["/bin/sh"]);
    expect(resolved.config.rootfs.diff_ids).toEqual([sha256(rootfs)]);
    expect(resolved.layerDirs).toEqual([path.join(paths.layers, sha256(rootfs).slice(7), "diff")]);
    expect((await store.inspect(id.slice(7, 19)))?.config.stopSignal).toBe("SIGINT");

    const { container, target } = await mountFor("c1", resolved.layerDirs);
    expect((await lstat(path.join(target, "bin/sh"))).isSymbolicLink()).toBe(true);
    expect((await execa("chroot", [target, "/bin/sh", "-c", "echo hi"])).stdout).toBe("hi");
    await writeFile(path.join(target, "etc/written"), "x");
    expect(await readFile(path.join(container, "upper/etc/written"), "utf8")).toBe("x");
    expect(existsSync(path.join(resolved.layerDirs[0]!, "etc/written"))).toBe(false);

    await unmountRootfs(target);
    expect(mountsUnder(base)).toEqual([]);
    await unmountRootfs(target); // a second unmount has nothing to do
  });

  it("honours whiteouts: a file deleted and a directory made opaque by the upper layer are not seen", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const store = openImageStore(paths);
    const lower = await tarOf([
      { name: "a", type: "directory" },
      { name: "a/keep", content: "keep" },
      { name: "a/old", content: "old" },
      { name: "o", type: "directory" },
      { name: "o/x", content: "x" },
      { name: "o/sub", type: "directory" },
      { name: "gone", content: "gone" },
    ]);
    const upper = await tarOf([
      { name: ".wh.gone" },
      { name: "a/.wh.old" },
      { name: "o", type: "directory" },
      { name: "o/.wh..wh..opq" },
      { name: "o/new", content: "new" },
    ]);
    const layers = await Promise.all(
      [lower, upper].map(async (bytes) => ({
        mediaType: MediaType.ociLayer,
        digest: await store.parts.blobs.putBytes(bytes),
        size: bytes.length,
        diffId: sha256(bytes),
      })),
    );
    const configBytes = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      }),
    );
    await commitImage(store.parts, { configBytes, layers, tags: ["berth-test/whiteouts:1"] });
    const resolved = await store.resolve("berth-test/whiteouts:1");
    expect(resolved.layerDirs).toHaveLength(2);
    const whiteout = await lstat(path.join(resolved.layerDirs[1]!, "gone"));
    expect([whiteout.isCharacterDevice(), whiteout.rdev]).toEqual([true, 0]);

    // Once with absolute lowerdirs, once through the layers' short links (as a deep image mounts).
    for (const [name, pageSize] of [
      ["c2", undefined],
      ["c3", 300],
    ] as const) {
      const { target } = await mountFor(name, resolved.layerDirs, pageSize);
      expect((await readdir(target)).sort()).toEqual(["a", "o"]);
      expect(await readdir(path.join(target, "a"))).toEqual(["keep"]);
      expect(await readdir(path.join(target, "o"))).toEqual(["new"]);
      expect(mountsUnder(target)[0]).toContain(
        pageSize === undefined ? `lowerdir=${resolved.layerDirs[1]}:` : "lowerdir=l/",
      );
      await unmountRootfs(target);
    }
    expect(mountsUnder(base)).toEqual([]);
  });

  it("a later entry of a layer replaces an earlier one of the same name, as tar extraction does", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const store = openImageStore(paths);
    const layer = await tarOf([
      { name: "x", content: "first" },
      { name: "x", content: "second" },
      { name: "d", type: "directory" },
      { name: "d/f", content: "f" },
      { name: "d", content: "now a file" },
      { name: "l", type: "symlink", linkname: "x" },
      { name: "l", type: "directory" },
      { name: "l/inside", content: "i" },
    ]);
    const diffId = sha256(layer);
    const configBytes = Buffer.from(
      JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [diffId] } }),
    );
    const digest = await store.parts.blobs.putBytes(layer);
    await commitImage(store.parts, {
      configBytes,
      layers: [{ mediaType: MediaType.ociLayer, digest, size: layer.length, diffId }],
      tags: ["berth-test/repeated:1"],
    });
    const [diff] = (await store.resolve("berth-test/repeated:1")).layerDirs;
    expect(await readFile(path.join(diff!, "x"), "utf8")).toBe("second");
    expect(await readFile(path.join(diff!, "d"), "utf8")).toBe("now a file");
    expect((await lstat(path.join(diff!, "l"))).isDirectory()).toBe(true);
    expect(await readFile(path.join(diff!, "l/inside"), "utf8")).toBe("i");
  });

  it("refuses a layer that would reach outside through a symlink it made, leaving nothing outside or half-unpacked", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const store = openImageStore(paths);
    const outside = path.join(base, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "secret"), "s");
    const evil: Entry = { name: "evil", type: "symlink", linkname: outside };
    const attacks: Record<string, Entry[]> = {
      "a file under the link": [evil, { name: "evil/planted", content: "x" }],
      "a directory replaced by the link": [
        { name: "evil", type: "directory" },
        evil,
        { name: "evil/planted", content: "x" },
      ],
      "a hard link through the link": [evil, { name: "stolen", type: "link", linkname: "evil/secret" }],
      "an opaque marker under the link": [evil, { name: "evil/.wh..wh..opq" }],
      "a whiteout under the link": [evil, { name: "evil/.wh.secret" }],
    };
    for (const [attack, entries] of Object.entries(attacks)) {
      const layer = await tarOf(entries);
      const diffId = sha256(layer);
      const configBytes = Buffer.from(
        JSON.stringify({
          architecture: "amd64",
          os: "linux",
          rootfs: { type: "layers", diff_ids: [diffId] },
        }),
      );
      const digest = await store.parts.blobs.putBytes(layer);
      const layers = [{ mediaType: MediaType.ociLayer, digest, size: layer.length, diffId }];
      await expect(
        commitImage(store.parts, { configBytes, layers, tags: ["berth-test/evil:1"] }),
        attack,
      ).rejects.toThrow(/not a directory/);
      expect(existsSync(path.join(paths.layers, diffId.slice(7))), attack).toBe(false);
    }
    expect(await readdir(outside)).toEqual(["secret"]);
    const secret = await lstat(path.join(outside, "secret"));
    expect([secret.nlink, await readFile(path.join(outside, "secret"), "utf8")]).toEqual([1, "s"]);
    expect((await readdir(paths.layers)).filter((name) => name.startsWith(".tmp-"))).toEqual([]);
  });
});
