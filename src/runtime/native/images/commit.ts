/**
 * What every way into the image store (import, load, pull) ends with: the layers unpacked where
 * missing, then the image's record written and its tags moved onto it, in one locked change.
 */
import { InvalidRequestError } from "../../errors.js";
import { parseImageConfig } from "./config.js";
import type { BlobStore } from "./blob-store.js";
import { chainIds, type Digest } from "./digest.js";
import type { LayerStore } from "./layer-store.js";
import type { Descriptor, ImageRecord, LayerRecord, RecordStore } from "./records.js";

/** A layer about to be committed: its blob (present) and where its content comes from. */
export interface IncomingLayer extends Descriptor {
  readonly diffId: Digest;
}

/** What every way into the store (import, load, pull) ends with. */
export interface IncomingImage {
  readonly configBytes: Buffer;
  readonly layers: readonly IncomingLayer[];
  readonly manifest?: Descriptor | undefined;
  /** Familiar `name:tag`s to point at the image. */
  readonly tags: readonly string[];
  readonly repoDigests?: readonly string[] | undefined;
}

/** The parts the store is made of, for the modules that fill it (load, pull) and read it (save, push). */
export interface StoreParts {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  readonly records: RecordStore;
}

/** Unpacks what is missing, then writes the record and moves the tags onto it. */
export async function commitImage(
  parts: StoreParts,
  image: IncomingImage,
  signal?: AbortSignal,
  /** Called as each layer (by index) is present, unpacked. */
  onLayer?: (index: number) => void,
): Promise<ImageRecord> {
  const config = parseImageConfig(image.configBytes);
  const id = await parts.blobs.putBytes(image.configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== image.layers.length) {
    throw new InvalidRequestError(
      `image ${id}: its config lists ${diffIds.length} layers, its manifest ${image.layers.length}`,
    );
  }
  const chains = chainIds(image.layers.map((layer) => layer.diffId));
  const layers: LayerRecord[] = [];
  for (const [i, layer] of image.layers.entries()) {
    if (layer.diffId !== diffIds[i])
      throw new InvalidRequestError(
        `image ${id}: layer ${i} is ${layer.diffId}, its config says ${diffIds[i]}`,
      );
    const facts = await parts.layers.ensure(
      chains[i]!,
      layer.diffId,
      () => parts.blobs.open(layer.digest),
      signal,
    );
    onLayer?.(i);
    layers.push({
      mediaType: layer.mediaType,
      digest: layer.digest,
      size: layer.size,
      diffId: layer.diffId,
      diffSize: facts.size,
    });
  }
  const now = new Date().toISOString();
  return parts.records.update(async (tx) => {
    const previous = await tx.get(id);
    const repoDigests = [...new Set([...(previous?.repoDigests ?? []), ...(image.repoDigests ?? [])])];
    const record: ImageRecord = {
      id,
      layers,
      manifest: image.manifest ?? previous?.manifest,
      repoDigests,
      lastTagTime: image.tags.length > 0 ? now : previous?.lastTagTime,
    };
    await tx.put(record);
    for (const tag of image.tags) tx.tags[tag] = id;
    return record;
  }, signal);
}
