/**
 * `docker import`: a root filesystem tar (plain or gzip) becomes a one-layer image whose config
 * carries the `--change` instructions, named by `reference`. The tar is stored as it came, as the
 * layer's blob; an OCI manifest is written beside it so the image can be pushed as it is.
 */
import type { Readable } from "node:stream";
import { ConflictError, InvalidRequestError } from "../../errors.js";
import type { ImageImportOptions, OnProgress } from "../../runtime.js";
import { applyChanges } from "./changes.js";
import { commitImage, type IncomingLayer, type StoreParts } from "./commit.js";
import { compressionOf, decompressed } from "./compression.js";
import { goArch, type OciImageConfig } from "./config.js";
import { type Digest, HashingStream, sha256 } from "./digest.js";
import { MediaType } from "./media-types.js";
import { parseReference, tagKey } from "./reference.js";

/** The sha256 of the uncompressed content of a gzip blob. */
async function plainDigest(parts: StoreParts, digest: Digest): Promise<Digest> {
  const hashing = new HashingStream();
  for await (const chunk of (await decompressed(parts.blobs.open(digest))).pipe(hashing)) void chunk;
  return hashing.digest();
}

export async function importRootfs(
  parts: StoreParts,
  tar: Readable,
  options: ImageImportOptions,
  onProgress?: OnProgress,
): Promise<{ readonly id: string }> {
  const target = tagKey(parseReference(options.reference));
  if (target === undefined)
    throw new ConflictError(`cannot import to a digest reference: ${options.reference}`);
  // Before anything is written: a bad instruction leaves nothing behind.
  const containerConfig = applyChanges({}, options.changes ?? []);
  onProgress?.({ status: "Importing" });
  let reported = 0;
  const blob = await parts.blobs.put(tar, {
    signal: options.signal,
    // A report per 100 ms at most, not one per chunk read.
    onBytes: (current) => {
      if (Date.now() - reported < 100) return;
      reported = Date.now();
      onProgress?.({ status: "Importing", current });
    },
  });
  const compression = compressionOf(await parts.blobs.head(blob.digest, 4));
  if (compression === "zstd") {
    const used = (await parts.records.all()).some((record) =>
      record.layers.some((layer) => layer.digest === blob.digest),
    );
    if (!used) await parts.blobs.remove(blob.digest);
    throw new InvalidRequestError("zstd-compressed rootfs tars are not supported; use gzip or a plain tar");
  }
  const gzip = compression === "gzip";
  const diffId = gzip ? await plainDigest(parts, blob.digest) : blob.digest;
  const created = new Date().toISOString();
  const config: OciImageConfig = {
    created,
    architecture: goArch(),
    os: "linux",
    config: containerConfig,
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created, created_by: "berth import", comment: "Imported from -" }],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const layer: IncomingLayer = {
    mediaType: gzip ? MediaType.ociLayerGzip : MediaType.ociLayer,
    digest: blob.digest,
    size: blob.size,
    diffId,
  };
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(configBytes), size: configBytes.length },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    }),
  );
  const manifest = {
    mediaType: MediaType.ociManifest,
    digest: await parts.blobs.putBytes(manifestBytes),
    size: manifestBytes.length,
  };
  const record = await commitImage(
    parts,
    { configBytes, layers: [layer], manifest, tags: [target] },
    options.signal,
  );
  onProgress?.({ status: "Imported", id: record.id });
  return { id: record.id };
}
