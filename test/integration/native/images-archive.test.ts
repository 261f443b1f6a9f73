/**
 * The native image store against the real Docker engine's archives, and its bookkeeping: an image
 * saved natively loads into dockerd with the same ID; one built in dockerd (two layers, a whiteout)
 * saved by `docker save` loads natively with the same ID and mounts without the deleted file; an
 * OCI layout tar (an index per platform, a gzip layer) loads; tag, list filters and remove
 * (untag, conflicts, in-use, garbage collection) behave as Docker's do. The docker CLI is used
 * here only, as the reference. Temporary BERTH_ROOTs in /var/tmp, removed after.
 */
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../../src/runtime/native/images/digest.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { MediaType } from "../../../src/runtime/native/images/media-types.js";
import { mountRootfs, unmountRootfs } from "../../../src/runtime/native/images/rootfs.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import { engineRuntime, engineUp, requireOrSkip, RUN_ID, TEST_LABEL } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar, ensureTestImage, toBuffer } from "../images.js";

const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;
const CHANGES = ['CMD ["/bin/sh"]', `LABEL ${TEST_LABEL}=${RUN_ID}`];

async function tarOf(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}

describe("native image archives and bookkeeping", () => {
  let base: string;
  let rootfs: Buffer;
  const dockerImages: string[] = [];
  const storeNo = { n: 0 };
  const freshPaths = (): NativePaths => {
    const dir = path.join(base, `store-${storeNo.n++}`);
    return nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
  };

  beforeAll(async () => {
    base = mkdtempSync("/var/tmp/berth-images-archive-");
    rootfs = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
  });

  afterAll(async () => {
    if (dockerImages.length > 0) await execa("docker", ["rmi", "-f", ...dockerImages], { reject: false });
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("an image saved natively is loaded by dockerd with the same ID", async (ctx) => {
    requireOrSkip(ctx, native && engineUp, "native tests need root, runc and the Docker engine");
    const store = openImageStore(freshPaths());
    const reference = `berth-test/native-save:${RUN_ID}`;
    const { id } = await store.importRootfs(Readable.from([rootfs]), { reference, changes: CHANGES });
    const file = path.join(base, "native-save.tar");
    await pipeline(await store.save([reference]), createWriteStream(file));
    dockerImages.push(reference);
    const loaded = await execa("docker", ["load", "-i", file]);
    expect(loaded.stdout).toContain(`Loaded image: ${reference}`);
    const inspected = await execa("docker", [
      "image",
      "inspect",
      "--format",
      "{{.Id}} {{index .Config.Cmd 0}}",
      reference,
    ]);
    expect(inspected.stdout).toBe(`${id} /bin/sh`);
  });

  it("an image built in dockerd (two layers, a file deleted) loads natively with the same ID and mounts without the file", async (ctx) => {
    requireOrSkip(ctx, native && engineUp, "native tests need root, runc and the Docker engine");
    const runtime = engineRuntime();
    const baseImage = await ensureTestImage(runtime, AbortSignal.timeout(60_000));
    const reference = `berth-test/native-load:${RUN_ID}`;
    dockerImages.push(reference);
    const dockerfile = `FROM ${baseImage}\nRUN rm /bin/ls && mkdir /data && echo hi > /data/f\nSTOPSIGNAL SIGINT\n`;
    await execa("docker", ["build", "-q", "--label", `${TEST_LABEL}=${RUN_ID}`, "-t", reference, "-"], {
      input: dockerfile,
    });
    const dockerId = (await execa("docker", ["image", "inspect", "--format", "{{.Id}}", reference])).stdout;
    const file = path.join(base, "docker-save.tar");
    await execa("docker", ["save", "-o", file, reference]);

    const paths = freshPaths();
    const store = openImageStore(paths);
    const result = await store.load(Readable.from([readFileSync(file)]));
    expect(result.images).toEqual([reference]);
    const info = await store.inspect(reference);
    expect([info?.id, info?.config.stopSignal, info?.repoTags]).toEqual([dockerId, "SIGINT", [reference]]);
    const resolved = await store.resolve(reference);
    expect(resolved.layerDirs).toHaveLength(2);
    const target = path.join(paths.containers, "c", "merged");
    await mountRootfs({
      layerDirs: resolved.layerDirs,
      upper: path.join(paths.containers, "c", "upper"),
      work: path.join(paths.containers, "c", "work"),
      target,
    });
    try {
      expect(existsSync(path.join(target, "bin/ls"))).toBe(false);
      expect(existsSync(path.join(target, "bin/cat"))).toBe(true);
      expect(readFileSync(path.join(target, "data/f"), "utf8")).toBe("hi\n");
    } finally {
      await unmountRootfs(target);
    }
    // Nothing but what the image uses stays in the blob store (manifest.json, repositories, … went).
    expect((await readdir(path.join(paths.blobs, "sha256"))).sort()).toEqual(
      [
        resolved.id,
        ...(await store.parts.records.get(resolved.id as `sha256:${string}`))!.layers.map((l) => l.digest),
      ]
        .map((d) => d.slice(7))
        .sort(),
    );
  }, 60_000);

  it("loads an OCI layout tar: the host's manifest from a nested index, a gzip layer, the name from its annotation", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const layer = gzipSync(rootfs);
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/bin/sh"] },
        rootfs: { type: "layers", diff_ids: [sha256(rootfs)] },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: [{ mediaType: MediaType.ociLayerGzip, digest: sha256(layer), size: layer.length }],
      }),
    );
    const platformIndex = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          {
            mediaType: MediaType.ociManifest,
            digest: sha256("absent"),
            size: 6,
            platform: { os: "linux", architecture: "arm64" },
          },
          {
            mediaType: MediaType.ociManifest,
            digest: sha256(manifest),
            size: manifest.length,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      }),
    );
    const blob = (bytes: Buffer): [string, Buffer] => [`blobs/sha256/${sha256(bytes).slice(7)}`, bytes];
    const archive = await tarOf({
      "oci-layout": '{"imageLayoutVersion":"1.0.0"}',
      "index.json": JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MediaType.ociIndex,
            digest: sha256(platformIndex),
            size: platformIndex.length,
            annotations: {
              "io.containerd.image.name": `127.0.0.1:5000/berth-test/oci:${RUN_ID}`,
              "org.opencontainers.image.ref.name": RUN_ID,
            },
          },
        ],
      }),
      ...Object.fromEntries([blob(layer), blob(config), blob(manifest), blob(platformIndex)]),
    });
    const store = openImageStore(freshPaths());
    const result = await store.load(Readable.from([archive]));
    expect(result.images).toEqual([`127.0.0.1:5000/berth-test/oci:${RUN_ID}`]);
    const resolved = await store.resolve(`127.0.0.1:5000/berth-test/oci:${RUN_ID}`);
    expect(resolved.id).toBe(sha256(config));
    expect(existsSync(path.join(resolved.layerDirs[0]!, "bin/busybox"))).toBe(true);
  });

  it("loads Docker 25's archive form: manifest.json whose paths point into an OCI layout's blobs", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [sha256(rootfs)] },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha256(config), size: config.length },
        layers: [{ mediaType: MediaType.ociLayer, digest: sha256(rootfs), size: rootfs.length }],
      }),
    );
    const at = (bytes: Buffer): string => `blobs/sha256/${sha256(bytes).slice(7)}`;
    const reference = `berth-test/docker25:${RUN_ID}`;
    const archive = await tarOf({
      "oci-layout": '{"imageLayoutVersion":"1.0.0"}',
      "index.json": JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: MediaType.ociManifest, digest: sha256(manifest), size: manifest.length }],
      }),
      "manifest.json": JSON.stringify([{ Config: at(config), RepoTags: [reference], Layers: [at(rootfs)] }]),
      [at(rootfs)]: rootfs,
      [at(config)]: config,
      [at(manifest)]: manifest,
    });
    const store = openImageStore(freshPaths());
    expect((await store.load(Readable.from([archive]))).images).toEqual([reference]);
    expect((await store.resolve(reference)).id).toBe(sha256(config));
  });

  it("imports a gzip rootfs tar: the diff ID is the plain tar's, the layer blob stays compressed", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const paths = freshPaths();
    const store = openImageStore(paths);
    const gz = gzipSync(rootfs);
    // A change docker import refuses is refused before anything is written.
    await expect(
      store.importRootfs(Readable.from([gz]), { reference: "berth-test/gz:1", changes: ["RUN make"] }),
    ).rejects.toThrow(/RUN is not a valid change command/);
    expect(existsSync(paths.blobs)).toBe(false);
    const { id } = await store.importRootfs(Readable.from([gz]), { reference: "berth-test/gz:1" });
    const resolved = await store.resolve(id);
    expect(resolved.config.rootfs.diff_ids).toEqual([sha256(rootfs)]);
    expect((await store.parts.records.get(resolved.id as `sha256:${string}`))?.layers[0]).toMatchObject({
      digest: sha256(gz),
      mediaType: MediaType.ociLayerGzip,
      diffSize: rootfs.length,
    });
    expect(existsSync(path.join(resolved.layerDirs[0]!, "bin/busybox"))).toBe(true);
  });

  it("tags, lists by reference and label, and removes as Docker does: untag, conflicts, in use, then nothing left", async (ctx) => {
    requireOrSkip(ctx, native, "native tests need root and runc");
    const inUse = new Set<string>();
    const paths = freshPaths();
    const store = openImageStore(paths, { inUse: (id) => inUse.has(id) });
    const { id } = await store.importRootfs(Readable.from([rootfs]), {
      reference: "berth-test/a:1",
      changes: CHANGES,
    });
    await store.tag("berth-test/a:1", "berth-test/a:2");
    await store.tag(id, "other/b");
    expect((await store.inspect("berth-test/a:2"))?.repoTags).toEqual([
      "berth-test/a:1",
      "berth-test/a:2",
      "other/b:latest",
    ]);
    expect((await store.list({ reference: "berth-test/*" })).map((i) => i.id)).toEqual([id]);
    expect(await store.list({ reference: "nothing/*" })).toEqual([]);
    expect((await store.list({ labels: [`${TEST_LABEL}=${RUN_ID}`] })).map((i) => i.id)).toEqual([id]);
    expect(await store.list({ labels: [`${TEST_LABEL}=other`] })).toEqual([]);

    await store.remove("berth-test/a:2");
    expect((await store.inspect(id))?.repoTags).toEqual(["berth-test/a:1", "other/b:latest"]);
    await expect(store.remove(id)).rejects.toThrow(/referenced in multiple repositories/);
    await store.remove("other/b");
    // Two tags of one repository are still more than Docker removes by ID unforced.
    await store.tag(id, "berth-test/a:3");
    await expect(store.remove(id)).rejects.toThrow(/must be forced/);
    await store.remove("berth-test/a:3");
    inUse.add(id);
    await expect(store.remove(id)).rejects.toMatchObject({ code: "CONFLICT" });
    await store.remove(id, { force: true });
    expect((await store.inspect(id))?.repoTags).toEqual([]); // dangling, kept for its container
    inUse.delete(id);
    await store.remove(id);
    expect(await store.inspect(id)).toBeUndefined();
    expect(await readdir(path.join(paths.blobs, "sha256"))).toEqual([]);
    expect((await readdir(paths.layers)).filter((name) => name !== "l")).toEqual([]);
    expect(await readdir(path.join(paths.layers, "l"))).toEqual([]);
    await expect(store.remove(id)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
