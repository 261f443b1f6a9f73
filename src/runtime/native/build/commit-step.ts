/**
 * A build step's image, committed through the image store as Docker's classic builder writes it:
 * the parent's config with the step's container config, `created` now, a history entry per step
 * (`empty_layer: true` when the step made no layer, as ENV/LABEL/CMD… do), and, for a step with a
 * layer (RUN, COPY, ADD), its diff appended to `rootfs.diff_ids`. The layer is stored as a plain
 * tar (its digest is its diff ID, as dockerd keeps built layers until a push compresses them); an
 * OCI manifest is written beside the config so the image can be saved and pushed as it is.
 */
import type { Readable } from "node:stream";
import type { OciContainerConfig, OciHistory, OciImageConfig } from "../images/config.js";
import { commitImage, type IncomingLayer, type StoreParts } from "../images/commit.js";
import { sha256 } from "../images/digest.js";
import { MediaType } from "../images/media-types.js";
import type { ImageRecord } from "../images/records.js";

export interface BuildParent {
  readonly config: OciImageConfig;
  /** The parent's layers, bottom → top (its record's). */
  readonly layers: readonly IncomingLayer[];
}

export interface BuildStepCommit {
  readonly parent: BuildParent;
  /** The image's container config after the step. */
  readonly containerConfig: OciContainerConfig;
  /** The history's `created_by`: `/bin/sh -c #(nop)  ENV A=1`, or the RUN's command. */
  readonly createdBy: string;
  /** The step's layer tar (uncompressed), when it made one. */
  readonly layer?: Readable | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The step's time (now by default). */
  readonly created?: Date | undefined;
}

/** The config after a step (pure): what `docker history` and `docker inspect` read. */
export function stepConfig(
  parent: OciImageConfig,
  containerConfig: OciContainerConfig,
  createdBy: string,
  created: string,
  diffId: string | undefined,
): OciImageConfig {
  const entry: OciHistory =
    diffId === undefined
      ? { created, created_by: createdBy, empty_layer: true }
      : { created, created_by: createdBy };
  return {
    ...parent,
    created,
    config: containerConfig,
    rootfs: {
      type: "layers",
      diff_ids: diffId === undefined ? parent.rootfs.diff_ids : [...parent.rootfs.diff_ids, diffId],
    },
    history: [...(parent.history ?? []), entry],
  };
}

/** An empty tar (two zero blocks): dockerd's `layer.IsEmpty` marks such a step `empty_layer`. */
export const EMPTY_TAR_DIGEST = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/**
 * Stores the step's layer (if any) and commits the image; returns its record. A layer with no
 * entries is left out of the image, as dockerd leaves it (RUN true, WORKDIR of an existing dir).
 */
export async function commitStep(parts: StoreParts, step: BuildStepCommit): Promise<ImageRecord> {
  const created = (step.created ?? new Date()).toISOString();
  let layer: IncomingLayer | undefined;
  if (step.layer !== undefined) {
    const blob = await parts.blobs.put(step.layer, { signal: step.signal });
    if (blob.digest !== EMPTY_TAR_DIGEST)
      layer = { mediaType: MediaType.ociLayer, digest: blob.digest, size: blob.size, diffId: blob.digest };
  }
  const config = stepConfig(step.parent.config, step.containerConfig, step.createdBy, created, layer?.diffId);
  const configBytes = Buffer.from(JSON.stringify(config));
  const layers = layer === undefined ? step.parent.layers : [...step.parent.layers, layer];
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256(configBytes), size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const manifest = {
    mediaType: MediaType.ociManifest,
    digest: await parts.blobs.putBytes(manifestBytes),
    size: manifestBytes.length,
  };
  return commitImage(parts, { configBytes, layers, manifest, tags: step.tags ?? [] }, step.signal);
}

/** A parent from an image record and its parsed config. */
export function parentOf(record: ImageRecord, config: OciImageConfig): BuildParent {
  return {
    config,
    layers: record.layers.map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      diffId: l.diffId,
    })),
  };
}
