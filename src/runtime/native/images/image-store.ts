/**
 * The native runtime's image store: blobs, unpacked layers and image records under `BERTH_ROOT`,
 * shaped like the `Images` members of src/runtime/runtime.ts, plus `resolve`, which the
 * containers module turns into an overlay rootfs (images/rootfs.ts).
 */
import path from "node:path";
import type { Readable } from "node:stream";
import { ConflictError, NotFoundError } from "../../errors.js";
import type { Images, ImageSummary, OnProgress, PullOptions } from "../../runtime.js";
import type { NativePaths } from "../paths.js";
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from "../registry/index.js";
import { openBlobStore } from "./blob-store.js";
import type { StoreParts } from "./commit.js";
import { imageInfo, type OciImageConfig, parseImageConfig } from "./config.js";
import { chainIds, type Digest, isDigest } from "./digest.js";
import { pullImage, pushImage } from "./distribution.js";
import { matchesLabels, matchesReference, repositoryOf, repositoryOfDigest } from "./filters.js";
import { importRootfs } from "./import-rootfs.js";
import { openLayerStore } from "./layer-store.js";
import { loadArchive, type LoadOptions, type LoadResult } from "./load.js";
import { type ImageRecord, openRecordStore, type TagIndex } from "./records.js";
import { familiarName, isBareName, parseReference, tagKey, tryParseReference } from "./reference.js";
import { saveArchive, type SaveItem } from "./save.js";
import { sweepTemporaries } from "./temp-files.js";

export interface ResolvedImage {
  readonly id: string;
  readonly config: OciImageConfig;
  /** Unpacked layer dirs, bottom → top: the lowerdirs of the container's overlay. */
  readonly layerDirs: readonly string[];
}

export interface ImageStoreOptions {
  /** How the registry client is made for pull and push (daemon.json, config.json, timeouts). */
  readonly registry?: RegistryClientOptions | undefined;
  /** How long a layer download may go without a byte before it fails (default 60 s). */
  readonly downloadIdleMs?: number | undefined;
  /** Whether a container uses the image (the containers module knows; images do not). */
  readonly inUse?: ((id: string) => boolean | Promise<boolean>) | undefined;
}

/**
 * The `Images` members of the Runtime (pull and push without options mean defaults; no build),
 * plus `resolve` for the containers module, and `load`/`save`.
 */
export interface ImageStore extends Pick<Images, "inspect" | "list" | "tag" | "remove" | "importRootfs"> {
  resolve(reference: string): Promise<ResolvedImage>;
  pull(reference: string, options?: PullOptions, onProgress?: OnProgress): Promise<void>;
  push(reference: string, options?: PullOptions, onProgress?: OnProgress): Promise<void>;
  /** `docker load`: a docker-archive or an OCI layout tar. */
  load(archive: Readable, options?: LoadOptions, onProgress?: OnProgress): Promise<LoadResult>;
  /** `docker save`: the images as a docker-archive. */
  save(references: readonly string[]): Promise<Readable>;
}

/** `name:tag` terms of the tag index that point at `id`. */
function tagsOf(tags: TagIndex, id: Digest): string[] {
  return Object.entries(tags)
    .filter(([, target]) => target === id)
    .map(([tag]) => tag)
    .sort();
}

export function openImageStore(
  paths: NativePaths,
  options: ImageStoreOptions = {},
): ImageStore & { readonly parts: StoreParts } {
  const blobs = openBlobStore(paths.blobs, paths.locks);
  const layers = openLayerStore(paths.layers, paths.locks);
  const records = openRecordStore(paths.images, paths.locks);
  const parts: StoreParts = { blobs, layers, records };
  let swept: Promise<void> | undefined;
  /** What a killed writer left, removed once per store before its first write. */
  const sweep = (): Promise<void> =>
    (swept ??= Promise.all([
      sweepTemporaries(path.join(paths.blobs, "sha256")),
      sweepTemporaries(paths.layers),
      sweepTemporaries(paths.images),
    ]).then(() => undefined));

  /** The record a reference names: ID, `name[:tag]`, `name@digest`, or a unique ID prefix. */
  async function find(reference: string): Promise<{ record: ImageRecord; byTag?: string } | undefined> {
    const full = reference.startsWith("sha256:") ? reference : `sha256:${reference}`;
    if (isDigest(full)) {
      const record = await records.get(full);
      if (record) return { record };
    }
    const parsed = tryParseReference(reference);
    if (parsed?.digest !== undefined) {
      const wanted = `${familiarName(parsed)}@${parsed.digest}`;
      const match = (await records.all()).find(
        (record) => record.repoDigests.includes(wanted) || record.manifest?.digest === parsed.digest,
      );
      if (match) return { record: match };
    } else if (parsed !== undefined) {
      const tag = tagKey(parsed)!;
      const id = (await records.tags())[tag];
      const record = id === undefined ? undefined : await records.get(id);
      if (record) return { record, byTag: tag };
    }
    const prefix = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(reference)?.[1];
    if (prefix === undefined) return undefined;
    const matches = (await records.all()).filter((record) => record.id.startsWith(`sha256:${prefix}`));
    if (matches.length > 1)
      throw new ConflictError(`image ID prefix ${prefix} is ambiguous (${matches.length} images)`);
    return matches[0] === undefined ? undefined : { record: matches[0] };
  }

  async function found(reference: string): Promise<{ record: ImageRecord; byTag?: string }> {
    const hit = await find(reference);
    if (!hit) throw new NotFoundError(`No such image: ${reference}`);
    return hit;
  }

  /**
   * What `docker save <reference>` writes: by ID the image without names; by `name:tag` that tag;
   * by a bare name every tag of that repository.
   */
  async function saveItems(reference: string): Promise<SaveItem[]> {
    const tags = await records.tags();
    const parsed = isBareName(reference) ? tryParseReference(reference) : undefined;
    if (parsed) {
      const inRepo = Object.keys(tags).filter((tag) => repositoryOf(tag) === familiarName(parsed));
      if (inRepo.length > 0) {
        const byImage = new Map<Digest, string[]>();
        for (const tag of inRepo.sort()) byImage.set(tags[tag]!, [...(byImage.get(tags[tag]!) ?? []), tag]);
        const items: SaveItem[] = [];
        for (const [id, repoTags] of byImage) {
          const record = await records.get(id);
          if (record) items.push({ record, repoTags });
        }
        return items;
      }
    }
    const hit = await found(reference);
    return [{ record: hit.record, repoTags: hit.byTag === undefined ? [] : [hit.byTag] }];
  }

  async function withClient<T>(
    pullOptions: PullOptions,
    work: (client: RegistryClient) => Promise<T>,
  ): Promise<T> {
    const auth = pullOptions.auth ?? options.registry?.auth;
    const client = createRegistryClient({ ...options.registry, auth });
    try {
      return await work(client);
    } finally {
      client.close();
    }
  }

  async function configOf(record: ImageRecord): Promise<OciImageConfig> {
    return parseImageConfig(await blobs.read(record.id));
  }

  /** Removes what only the removed images used (records of other images keep theirs). */
  async function collect(removed: readonly ImageRecord[]): Promise<void> {
    const remaining = await records.all();
    const blobsKept = new Set<string>();
    const chainsKept = new Set<string>();
    for (const record of remaining) {
      blobsKept.add(record.id);
      if (record.manifest) blobsKept.add(record.manifest.digest);
      for (const layer of record.layers) blobsKept.add(layer.digest);
      for (const chain of chainIds(record.layers.map((layer) => layer.diffId))) chainsKept.add(chain);
    }
    for (const record of removed) {
      for (const chain of chainIds(record.layers.map((layer) => layer.diffId))) {
        if (!chainsKept.has(chain)) await layers.remove(chain);
      }
      const owned = [record.id, record.manifest?.digest, ...record.layers.map((layer) => layer.digest)];
      for (const digest of owned)
        if (digest !== undefined && !blobsKept.has(digest)) await blobs.remove(digest);
    }
  }

  return {
    parts,
    async resolve(reference) {
      const { record } = await found(reference);
      const config = await configOf(record);
      const chains = chainIds(record.layers.map((layer) => layer.diffId));
      return { id: record.id, config, layerDirs: chains.map((chain) => layers.diffDir(chain)) };
    },

    async inspect(reference) {
      const hit = await find(reference);
      if (!hit) return undefined;
      const { record } = hit;
      return imageInfo(
        {
          id: record.id,
          repoTags: tagsOf(await records.tags(), record.id),
          repoDigests: record.repoDigests,
          size: record.layers.reduce((sum, layer) => sum + layer.diffSize, 0),
          lastTagTime: record.lastTagTime === undefined ? undefined : new Date(record.lastTagTime),
        },
        await configOf(record),
      );
    },

    async list(filter = {}) {
      const tags = await records.tags();
      const summaries: ImageSummary[] = [];
      for (const record of await records.all()) {
        const repoTags = tagsOf(tags, record.id);
        if (filter.reference !== undefined && !matchesReference(filter.reference, repoTags)) continue;
        const config = await configOf(record);
        const labels = config.config?.Labels ?? {};
        if (filter.labels && !matchesLabels(labels, filter.labels)) continue;
        summaries.push({
          id: record.id,
          repoTags,
          size: record.layers.reduce((sum, layer) => sum + layer.diffSize, 0),
          labels,
          created: new Date(config.created ?? 0),
        });
      }
      return summaries.sort((a, b) => b.created.getTime() - a.created.getTime());
    },

    async tag(source, target) {
      const { record } = await found(source);
      const parsed = parseReference(target);
      if (parsed.digest !== undefined)
        throw new ConflictError(`refusing to create a tag with a digest reference: ${target}`);
      const tag = tagKey(parsed)!;
      await records.update(async (tx) => {
        tx.tags[tag] = record.id;
        const current = (await tx.get(record.id)) ?? record;
        await tx.put({ ...current, lastTagTime: new Date().toISOString() });
      });
    },

    async remove(reference, removeOptions = {}) {
      const hit = await found(reference);
      const force = removeOptions.force === true;
      const removed = await records.update(async (tx) => {
        const id = hit.record.id;
        const own = tagsOf(tx.tags, id);
        if (hit.byTag !== undefined && own.length > 1) {
          // A name given: untagging it is all, while the image keeps other names.
          delete tx.tags[hit.byTag];
          return undefined;
        }
        // By ID, Docker removes the names only when they are one tag (and digests) of one repository.
        const repositories = new Set([
          ...own.map(repositoryOf),
          ...hit.record.repoDigests.map(repositoryOfDigest),
        ]);
        if (hit.byTag === undefined && !force && (own.length > 1 || repositories.size > 1)) {
          throw new ConflictError(
            `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
          );
        }
        if (await options.inUse?.(id)) {
          if (!force) {
            throw new ConflictError(
              hit.byTag === undefined
                ? `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is being used by a container`
                : `conflict: unable to remove repository reference "${reference}" (must force) - a container is using its referenced image ${id.slice(7, 19)}`,
            );
          }
          // Forced: the names go, the image stays (dangling) under the containers that use it.
          for (const tag of own) delete tx.tags[tag];
          return undefined;
        }
        for (const tag of own) delete tx.tags[tag];
        await tx.remove(id);
        return hit.record;
      });
      if (removed) await collect([removed]);
    },

    async pull(reference, pullOptions = {}, onProgress) {
      await sweep();
      await withClient(pullOptions, (client) =>
        pullImage(parts, reference, { ...pullOptions, client, idleMs: options.downloadIdleMs }, onProgress),
      );
    },

    async push(reference, pushOptions = {}, onProgress) {
      const { record } = await found(reference);
      await withClient(pushOptions, (client) =>
        pushImage(parts, record, reference, { ...pushOptions, client }, onProgress),
      );
    },

    async load(archive, loadOptions = {}, onProgress) {
      await sweep();
      return loadArchive(parts, archive, loadOptions, onProgress);
    },

    async save(references) {
      const items: SaveItem[] = [];
      for (const reference of references) items.push(...(await saveItems(reference)));
      return saveArchive(parts, items);
    },

    async importRootfs(tar, importOptions, onProgress) {
      await sweep();
      return importRootfs(parts, tar, importOptions, onProgress);
    },
  };
}
