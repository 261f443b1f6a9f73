/**
 * `load` of an image archive: `docker save`'s docker-archive (`manifest.json` naming a config file
 * and layer tars per image, `moby@20.10:image/tarexport/load.go`), the same with an OCI layout
 * beside it (Docker 25+, whose `manifest.json` paths point into `blobs/sha256/`), and a bare OCI
 * image layout (`index.json`, `blobs/<alg>/<hex>`, `ispec:image-layout.md`). The archive is read
 * once, as a stream: every file goes into the blob store (a `blobs/sha256/<hex>` file checked
 * against its name), small ones are also kept in memory to read manifests; what no loaded image
 * references is removed again at the end.
 */
import { Readable } from "node:stream";
import tar from "tar-stream";
import { feed } from "../../backpressure.js";
import { InvalidRequestError } from "../../errors.js";
import type { OnProgress } from "../../runtime.js";
import { parseImageConfig } from "./config.js";
import { type Digest, isDigest } from "./digest.js";
import { commitImage, type IncomingLayer, type StoreParts } from "./commit.js";
import { type ImageManifest, parseManifest, parsePlatform, selectManifest } from "./manifests.js";
import { isIndexType, MediaType } from "./media-types.js";
import { tagKey, tryParseReference } from "./reference.js";
import type { Descriptor } from "./records.js";
import { chunkBytes } from "../../../bytes.js";

/** Files read into memory as well (manifests, configs, indexes are far smaller). */
const KEEP_IN_MEMORY = 4 * 1024 * 1024;

export interface LoadOptions {
  readonly signal?: AbortSignal | undefined;
  /** `os/arch[/variant]` to pick from an index; default the host's. */
  readonly platform?: string | undefined;
}

export interface LoadResult {
  /** What was loaded: `name:tag` for tagged images, the ID otherwise (as `docker load` says it). */
  readonly images: readonly string[];
}

interface ArchiveFile {
  readonly digest: Digest;
  readonly size: number;
  readonly bytes?: Buffer | undefined;
}

function normal(name: string): string {
  return name.replace(/^(\.\/)+/, "").replace(/^\/+/, "");
}

/** Reads every file of the archive into the blob store; returns them by path. */
async function ingest(
  parts: StoreParts,
  archive: Readable,
  signal?: AbortSignal,
): Promise<Map<string, ArchiveFile>> {
  const files = new Map<string, ArchiveFile>();
  const extract = tar.extract();
  feed(archive, extract);
  for await (const entry of extract) {
    signal?.throwIfAborted();
    const { header } = entry;
    if (header.type !== "file" && header.type !== "contiguous-file") {
      entry.resume();
      continue;
    }
    const name = normal(header.name);
    const named = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    if (header.size <= KEEP_IN_MEMORY) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunkBytes(chunk));
      const bytes = Buffer.concat(chunks);
      const digest = await parts.blobs.putBytes(bytes);
      if (named && digest !== `sha256:${named[1]}`)
        throw new InvalidRequestError(`archive file ${name} does not match its digest`);
      files.set(name, { digest, size: bytes.length, bytes });
    } else if (named) {
      const digest: Digest = `sha256:${named[1]}`;
      await parts.blobs.ensure(digest, () => Readable.from(entry), { size: header.size, signal });
      entry.resume();
      files.set(name, { digest, size: header.size });
    } else {
      const put = await parts.blobs.put(Readable.from(entry), { signal });
      files.set(name, { digest: put.digest, size: put.size });
    }
  }
  return files;
}

function json(file: ArchiveFile | undefined, what: string): unknown {
  if (file?.bytes === undefined) throw new InvalidRequestError(`the archive has no ${what}`);
  try {
    return JSON.parse(file.bytes.toString("utf8"));
  } catch {
    throw new InvalidRequestError(`the archive's ${what} is not JSON`);
  }
}

/** `name:tag` as the store keys it, or undefined when the text is no tagged reference. */
function tagOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // A bare tag (`org.opencontainers.image.ref.name: "1.0"`) names no repository: no tag then.
  if (!text.includes(":") && !text.includes("/")) return undefined;
  const parsed = tryParseReference(text);
  return parsed === undefined ? undefined : tagKey(parsed);
}

interface DockerArchiveEntry {
  readonly Config: string;
  readonly RepoTags?: readonly string[] | null;
  readonly Layers: readonly string[];
}

async function loadDockerArchive(
  parts: StoreParts,
  files: Map<string, ArchiveFile>,
  signal?: AbortSignal,
): Promise<string[]> {
  const manifest = json(files.get("manifest.json"), "manifest.json");
  if (!Array.isArray(manifest)) throw new InvalidRequestError("the archive's manifest.json is not a list");
  const loaded: string[] = [];
  for (const item of manifest as DockerArchiveEntry[]) {
    const configFile = files.get(normal(item.Config));
    if (configFile?.bytes === undefined) throw new InvalidRequestError(`the archive has no ${item.Config}`);
    const config = parseImageConfig(configFile.bytes);
    if (config.rootfs.diff_ids.length !== item.Layers.length) {
      throw new InvalidRequestError(
        `${item.Config} lists ${config.rootfs.diff_ids.length} layers, manifest.json ${item.Layers.length}`,
      );
    }
    const layers: IncomingLayer[] = item.Layers.map((layerPath, i) => {
      const file = files.get(normal(layerPath));
      if (file === undefined) throw new InvalidRequestError(`the archive has no ${layerPath}`);
      const diffId = config.rootfs.diff_ids[i]!;
      if (!isDigest(diffId))
        throw new InvalidRequestError(`${item.Config}: diff ID ${diffId} is not a sha256 digest`);
      // docker save writes plain tars; a compressed one is sniffed when it is unpacked.
      const mediaType = file.digest === diffId ? MediaType.dockerLayer : MediaType.dockerLayerGzip;
      return { mediaType, digest: file.digest, size: file.size, diffId };
    });
    const tags = (item.RepoTags ?? []).map(tagOf).filter((tag): tag is string => tag !== undefined);
    const record = await commitImage(parts, { configBytes: configFile.bytes, layers, tags }, signal);
    loaded.push(...(tags.length > 0 ? tags : [record.id]));
  }
  return loaded;
}

async function blobBytes(
  parts: StoreParts,
  files: Map<string, ArchiveFile>,
  descriptor: Descriptor,
): Promise<Buffer> {
  const file = files.get(`blobs/sha256/${descriptor.digest.slice(7)}`);
  if (file?.bytes !== undefined) return file.bytes;
  return parts.blobs.read(descriptor.digest);
}

async function loadOciLayout(
  parts: StoreParts,
  files: Map<string, ArchiveFile>,
  options: LoadOptions,
): Promise<string[]> {
  const index = parseManifest(
    JSON.stringify(json(files.get("index.json"), "index.json")),
    MediaType.ociIndex,
  );
  if (index.kind !== "index") throw new InvalidRequestError("the archive's index.json is not an image index");
  const platform = parsePlatform(options.platform);
  const loaded: string[] = [];
  for (const top of index.manifests) {
    // An index.json listing one image per platform: only this platform's is loaded.
    const other =
      top.platform !== undefined && selectManifest({ ...index, manifests: [top] }, platform) === undefined;
    if (other) continue;
    let descriptor = top;
    let manifest = parseManifest(await blobBytes(parts, files, descriptor), descriptor.mediaType);
    for (let depth = 0; manifest.kind === "index"; depth++) {
      const chosen = depth < 4 ? selectManifest(manifest, platform) : undefined;
      if (chosen === undefined)
        throw new InvalidRequestError(
          `no manifest in the archive for ${platform.os}/${platform.architecture}`,
        );
      descriptor = chosen;
      manifest = parseManifest(await blobBytes(parts, files, descriptor), descriptor.mediaType);
    }
    if (isIndexType(descriptor.mediaType)) continue;
    const image: ImageManifest = manifest;
    const configBytes = await blobBytes(parts, files, image.config);
    const config = parseImageConfig(configBytes);
    const layers: IncomingLayer[] = image.layers.map((layer, i) => {
      const diffId = config.rootfs.diff_ids[i];
      if (diffId === undefined || !isDigest(diffId))
        throw new InvalidRequestError(`layer ${i} of ${descriptor.digest} has no diff ID`);
      return { mediaType: layer.mediaType, digest: layer.digest, size: layer.size, diffId };
    });
    const annotations = top.annotations ?? {};
    const tag =
      tagOf(annotations["io.containerd.image.name"]) ??
      tagOf(annotations["org.opencontainers.image.ref.name"]);
    const manifestDescriptor: Descriptor = {
      mediaType: image.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
    };
    const record = await commitImage(
      parts,
      { configBytes, layers, manifest: manifestDescriptor, tags: tag === undefined ? [] : [tag] },
      options.signal,
    );
    loaded.push(tag ?? record.id);
  }
  return loaded;
}

/** Loads every image of the archive; the blobs it brought that no image uses are removed. */
export async function loadArchive(
  parts: StoreParts,
  archive: Readable,
  options: LoadOptions = {},
  onProgress?: OnProgress,
): Promise<LoadResult> {
  const files = await ingest(parts, archive, options.signal);
  try {
    const images = files.has("manifest.json")
      ? await loadDockerArchive(parts, files, options.signal)
      : files.has("index.json")
        ? await loadOciLayout(parts, files, options)
        : undefined;
    if (images === undefined)
      throw new InvalidRequestError("not an image archive: it has neither manifest.json nor index.json");
    for (const image of images)
      onProgress?.({ status: `Loaded image${image.startsWith("sha256:") ? " ID" : ""}: ${image}` });
    return { images };
  } finally {
    const used = new Set<string>();
    for (const record of await parts.records.all()) {
      used.add(record.id);
      if (record.manifest) used.add(record.manifest.digest);
      for (const layer of record.layers) used.add(layer.digest);
    }
    for (const file of files.values()) if (!used.has(file.digest)) await parts.blobs.remove(file.digest);
  }
}
