/**
 * Pull and push between the native image store and the local registry on 127.0.0.1:5000: a busybox
 * image made offline is pushed natively, removed, and pulled back with the same ID (two concurrent
 * pulls of it share the work); an image pushed there by dockerd (Docker schema 2, gzip layers) pulls
 * natively with dockerd's ID; an OCI index naming two platforms yields the host's image. Progress
 * is reported per layer as Docker's engine words it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitImage } from "../../../src/runtime/native/images/commit.js";
import { sha256 } from "../../../src/runtime/native/images/digest.js";
import { openImageStore } from "../../../src/runtime/native/images/image-store.js";
import { MediaType } from "../../../src/runtime/native/images/media-types.js";
import { createRegistryClient } from "../../../src/runtime/native/registry/index.js";
import { nativePaths, type NativePaths } from "../../../src/runtime/native/paths.js";
import type { ProgressEvent } from "../../../src/runtime/runtime.js";
import { engineRuntime, engineUp, requireOrSkip, RUN_ID, TEST_LABEL } from "../engine.js";
import { BUSYBOX_PATH, buildRootfsTar, ensureTestImage } from "../images.js";

const REGISTRY = "127.0.0.1:5000";
const runcFound = existsSync("/usr/sbin/runc") || existsSync("/usr/bin/runc");
const native = process.getuid?.() === 0 && runcFound;

async function registryAnswers(): Promise<boolean> {
  try {
    return (await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(3000) })).status === 200;
  } catch {
    return false;
  }
}
const registryUp = await registryAnswers();

describe("native pull and push", () => {
  let base: string;
  const dockerImages: string[] = [];
  let n = 0;
  const freshPaths = (): NativePaths => {
    const dir = path.join(base, `store-${n++}`);
    return nativePaths({ BERTH_ROOT: path.join(dir, "root"), BERTH_RUN_ROOT: path.join(dir, "run") });
  };
  // No daemon.json or config.json of the host: 127.0.0.1 is plain HTTP without them.
  const registry = {
    daemonConfigPath: "/nonexistent/daemon.json",
    dockerConfigPath: "/nonexistent/config.json",
  };

  beforeAll(() => {
    base = mkdtempSync("/var/tmp/berth-images-registry-");
  });
  afterAll(async () => {
    if (dockerImages.length > 0) await execa("docker", ["rmi", "-f", ...dockerImages], { reject: false });
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("pushes an image made offline, removes it, and pulls it back with the same ID; two pulls at once share the work", async (ctx) => {
    requireOrSkip(ctx, native && registryUp, `native tests need root, runc and the registry on ${REGISTRY}`);
    const paths = freshPaths();
    const store = openImageStore(paths, { registry });
    // A repository of its own: a registry answers "already exists" for blobs linked into the repository.
    const reference = `${REGISTRY}/berth-test/native-push-${RUN_ID}:1`;
    const rootfs = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
    const { id } = await store.importRootfs(Readable.from([rootfs]), {
      reference,
      changes: ['CMD ["/bin/sh"]', `LABEL ${TEST_LABEL}=${RUN_ID}`],
    });

    const pushed: ProgressEvent[] = [];
    await store.push(reference, {}, (event) => pushed.push(event));
    const statuses = pushed.map((event) => event.status);
    expect(statuses[0]).toBe(`The push refers to repository [${REGISTRY}/berth-test/native-push-${RUN_ID}]`);
    expect(statuses).toContain("Pushed");
    expect(
      pushed.some(
        (event) =>
          event.status === "Pushing" && event.total === rootfs.length && event.current === rootfs.length,
      ),
    ).toBe(true);
    expect(statuses.at(-1)).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    const again: string[] = [];
    await store.push(reference, {}, (event) => again.push(event.status));
    expect(again).toContain("Layer already exists");

    await store.remove(reference);
    expect(await store.inspect(id)).toBeUndefined();
    const pulled: ProgressEvent[][] = [[], []];
    const other = openImageStore(paths, { registry });
    await Promise.all([
      store.pull(reference, {}, (event) => pulled[0]!.push(event)),
      other.pull(reference, {}, (event) => pulled[1]!.push(event)),
    ]);
    const info = await store.inspect(reference);
    expect([info?.id, info?.repoTags, info?.labels[TEST_LABEL]]).toEqual([id, [reference.slice(0)], RUN_ID]);
    expect(info?.repoDigests[0]).toMatch(
      new RegExp(`^${REGISTRY}/berth-test/native-push-${RUN_ID}@sha256:[0-9a-f]{64}$`),
    );
    const all = pulled.flat().map((event) => event.status);
    expect(all).toContain("Pulling fs layer");
    expect(all).toContain("Pull complete");
    // One of the two downloaded the layer; the other found it written when it got the blob's lock.
    expect(all.filter((status) => status === "Download complete")).toHaveLength(1);
    expect(pulled[0]!.at(-1)?.status).toBe(`Status: Downloaded newer image for ${reference}`);
    expect(await readdir(path.join(paths.blobs, "sha256"))).toHaveLength(3); // config, layer, manifest
  });

  it("pulls an image dockerd pushed (Docker schema 2, gzip layers) with dockerd's ID", async (ctx) => {
    requireOrSkip(
      ctx,
      native && registryUp && engineUp,
      `native tests need root, runc, the Docker engine and the registry on ${REGISTRY}`,
    );
    const image = await ensureTestImage(engineRuntime(), AbortSignal.timeout(60_000));
    const reference = `${REGISTRY}/berth-test/native-pull-docker:${RUN_ID}`;
    await execa("docker", ["tag", image, reference]);
    dockerImages.push(reference);
    await execa("docker", ["push", reference]);
    const dockerId = (await execa("docker", ["image", "inspect", "--format", "{{.Id}}", reference])).stdout;

    const store = openImageStore(freshPaths(), { registry });
    const events: ProgressEvent[] = [];
    await store.pull(reference, {}, (event) => events.push(event));
    const resolved = await store.resolve(reference);
    expect(resolved.id).toBe(dockerId);
    expect(existsSync(path.join(resolved.layerDirs[0]!, "bin/busybox"))).toBe(true);
    const layerId = events.find((event) => event.status === "Pulling fs layer")?.id;
    expect(events.filter((event) => event.id === layerId).map((event) => event.status)).toEqual(
      expect.arrayContaining(["Pulling fs layer", "Downloading", "Download complete", "Pull complete"]),
    );
    const repeat: string[] = [];
    await store.pull(reference, {}, (event) => repeat.push(event.status));
    expect(repeat).toContain("Already exists");
    expect(repeat.at(-1)).toBe(`Status: Image is up to date for ${reference}`);
  }, 60_000);

  it("pulls the host's image from an OCI index naming several platforms, recording the index's digest", async (ctx) => {
    requireOrSkip(ctx, native && registryUp, `native tests need root, runc and the registry on ${REGISTRY}`);
    const store = openImageStore(freshPaths(), { registry });
    const repo = `${REGISTRY}/berth-test/native-index-${RUN_ID}`;
    const rootfs = await buildRootfsTar(readFileSync(BUSYBOX_PATH));
    const host = await store.importRootfs(Readable.from([rootfs]), { reference: `${repo}:host` });
    // The same layer under a config for another platform (what a multi-platform build pushes).
    const otherConfig = Buffer.from(
      JSON.stringify({
        architecture: "arm64",
        variant: "v8",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [sha256(rootfs)] },
      }),
    );
    const hostRecord = (await store.parts.records.get(host.id as `sha256:${string}`))!;
    await commitImage(store.parts, {
      configBytes: otherConfig,
      layers: hostRecord.layers,
      tags: [`${repo}:other`],
    });
    const manifests: object[] = [];
    for (const [tag, id, platform] of [
      ["other", sha256(otherConfig), { os: "linux", architecture: "arm64", variant: "v8" }],
      ["host", host.id, { os: "linux", architecture: "amd64" }],
    ] as const) {
      await store.push(`${repo}:${tag}`);
      // The push records the manifest it sent: the index points at exactly that.
      const pushed = (await store.parts.records.get(id as `sha256:${string}`))?.manifest;
      manifests.push({ ...pushed, platform });
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests,
      }),
    );
    const client = createRegistryClient(registry);
    try {
      await client.putManifest(repo, "multi", index, MediaType.ociIndex);
    } finally {
      client.close();
    }

    const fresh = openImageStore(freshPaths(), { registry });
    await fresh.pull(`${repo}:multi`);
    const info = await fresh.inspect(`${repo}:multi`);
    expect([info?.id, info?.platform]).toEqual([host.id, "linux/amd64"]);
    expect(info?.repoDigests).toEqual([`${repo}@${sha256(index)}`]);
    await expect(fresh.pull(`${repo}:multi`, { platform: "linux/s390x" })).rejects.toThrow(
      /no matching manifest for linux\/s390x/,
    );
  });
});
