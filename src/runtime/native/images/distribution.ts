/**
 * `pull` and `push` between the store and a registry (OCI distribution spec, through the registry
 * module's client), reporting progress as Docker's engine words it: per layer `Pulling fs layer`,
 * `Downloading` (current/total), `Download complete`, `Pull complete` (or `Already exists`); for a
 * push `Preparing`, `Pushing` (current/total), `Pushed` (or `Layer already exists`). Layers download
 * concurrently (3 at a time, Docker's max-concurrent-downloads) into the blob store, whose lock per
 * blob lets two pulls of one image share the work; a download that goes quiet longer than the idle
 * bound fails naming the registry.
 */
import { Transform, type Readable } from "node:stream";
import { ApiError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { OnProgress, PullOptions } from "../../runtime.js";
import { MANIFEST_ACCEPT, type RegistryClient } from "../registry/index.js";
import { familiarName, familiarString, type ImageReference, parseReference } from "../registry/reference.js";
import { chainIds, type Digest, parseDigest, sha256 } from "./digest.js";
import { commitImage, type IncomingLayer, type StoreParts } from "./commit.js";
import { parseImageConfig } from "./config.js";
import {
  type ImageManifest,
  parseManifest,
  parsePlatform,
  platformText,
  selectManifest,
} from "./manifests.js";
import { MediaType } from "./media-types.js";
import type { Descriptor, ImageRecord } from "./records.js";
import { tagKey } from "./reference.js";

const CONCURRENT_DOWNLOADS = 3;
const CONCURRENT_UPLOADS = 5;
/** A body that sends nothing for this long is given up (the client bounds the wait for headers). */
export const DOWNLOAD_IDLE_MS = 60_000;
/** Progress reports per layer at most this often, and always at the end. */
const PROGRESS_EVERY_MS = 100;

export interface DistributionOptions extends PullOptions {
  readonly client: RegistryClient;
  /** How long a download may go without a byte (default DOWNLOAD_IDLE_MS). */
  readonly idleMs?: number | undefined;
}

/** Docker's short layer name in progress reports: 12 hex of the blob digest. */
function shortId(digest: string): string {
  return digest.slice("sha256:".length, "sha256:".length + 12);
}

/** Counts bytes for progress, and, given an idle bound, fails when no byte comes for that long. */
class Meter extends Transform {
  private count = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly report: (current: number) => void,
    private readonly idle?: { readonly ms: number; readonly error: () => Error },
  ) {
    super();
    this.arm();
  }
  private arm(): void {
    if (this.idle === undefined) return;
    const { ms, error } = this.idle;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.destroy(error()), ms);
    this.timer.unref();
  }
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null, data?: Buffer) => void,
  ): void {
    this.count += chunk.length;
    this.arm();
    const now = Date.now();
    if (now - this.last >= PROGRESS_EVERY_MS) {
      this.last = now;
      this.report(this.count);
    }
    done(null, chunk);
  }
  override _flush(done: () => void): void {
    clearTimeout(this.timer);
    this.report(this.count);
    done();
  }
  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    done(error);
  }
}

/** Runs `work` over `items` with at most `limit` at once; the first failure rejects (after the rest settle). */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

function withDigest(ref: ImageReference, digest: string): ImageReference {
  return parseReference(`${ref.name}@${digest}`);
}

/** The manifest for the platform, following an index; its descriptor is what the record keeps. */
async function fetchManifest(
  client: RegistryClient,
  ref: ImageReference,
  options: PullOptions,
): Promise<{ top: Digest; descriptor: Descriptor; manifest: ImageManifest; bytes: Buffer }> {
  const fetched = await client.getManifest(ref, MANIFEST_ACCEPT, { signal: options.signal });
  const top = parseDigest(fetched.digest, "manifest digest");
  let parsed = parseManifest(fetched.bytes, fetched.mediaType);
  let bytes = fetched.bytes;
  let descriptor: Descriptor = { mediaType: parsed.mediaType, digest: top, size: bytes.length };
  if (parsed.kind === "index") {
    const platform = parsePlatform(options.platform);
    const chosen = selectManifest(parsed, platform);
    if (chosen === undefined) {
      throw new NotFoundError(
        `no matching manifest for ${platformText(platform)} in the manifest list entries of ${familiarString(ref)}`,
      );
    }
    const inner = await client.getManifest(withDigest(ref, chosen.digest), MANIFEST_ACCEPT, {
      signal: options.signal,
    });
    parsed = parseManifest(inner.bytes, inner.mediaType);
    if (parsed.kind !== "manifest")
      throw new InvalidRequestError(`${familiarString(ref)}: an index inside an index is not supported`);
    bytes = inner.bytes;
    descriptor = { mediaType: parsed.mediaType, digest: chosen.digest, size: bytes.length };
  }
  return { top, descriptor, manifest: parsed, bytes };
}

/** Pulls `reference` into the store. */
export async function pullImage(
  parts: StoreParts,
  reference: string,
  options: DistributionOptions,
  onProgress?: OnProgress,
): Promise<ImageRecord> {
  const { client, signal } = options;
  const idleMs = options.idleMs ?? DOWNLOAD_IDLE_MS;
  const ref = parseReference(reference);
  const registry = ref.domain;
  onProgress?.({
    status: `Pulling from ${ref.domain === "docker.io" ? ref.path : familiarName(ref)}`,
    id: ref.tag ?? ref.digest,
  });
  const { top, descriptor, manifest, bytes } = await fetchManifest(client, ref, options);
  await parts.blobs.putBytes(bytes);

  const fetchBlob =
    (layer: Descriptor, report?: (current: number) => void) => async (): Promise<Readable> => {
      const body = await client.getBlob(ref, layer.digest, { size: layer.size, signal });
      const meter = new Meter((current) => report?.(current), {
        ms: idleMs,
        error: () =>
          new ApiError(
            `registry ${registry} sent nothing for ${idleMs / 1000}s while downloading ${layer.digest}`,
          ),
      });
      body.once("error", (error) => meter.destroy(error));
      return body.pipe(meter);
    };
  await parts.blobs.ensure(manifest.config.digest, fetchBlob(manifest.config), {
    size: manifest.config.size,
    signal,
  });
  const configBytes = await parts.blobs.read(manifest.config.digest);
  const config = parseImageConfig(configBytes);
  const diffIds = config.rootfs.diff_ids.map((id) => parseDigest(id, "diff ID"));
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidRequestError(
      `${familiarString(ref)}: the config lists ${diffIds.length} layers, the manifest ${manifest.layers.length}`,
    );
  }
  const chains = chainIds(diffIds);
  const present = await Promise.all(
    manifest.layers.map(
      async (layer, i) =>
        (await parts.blobs.has(layer.digest)) && (await parts.layers.facts(chains[i]!)) !== undefined,
    ),
  );
  manifest.layers.forEach((layer, i) =>
    onProgress?.({ id: shortId(layer.digest), status: present[i] ? "Already exists" : "Pulling fs layer" }),
  );
  await eachLimited(manifest.layers, CONCURRENT_DOWNLOADS, async (layer, i) => {
    if (present[i]) return;
    const id = shortId(layer.digest);
    const written = await parts.blobs.ensure(
      layer.digest,
      fetchBlob(layer, (current) => onProgress?.({ id, status: "Downloading", current, total: layer.size })),
      { size: layer.size, signal },
    );
    onProgress?.({ id, status: written ? "Download complete" : "Already exists" });
  });
  const layers: IncomingLayer[] = manifest.layers.map((layer, i) => ({ ...layer, diffId: diffIds[i]! }));
  const tag = ref.digest === undefined ? tagKey(ref) : undefined;
  const record = await commitImage(
    parts,
    {
      configBytes,
      layers,
      manifest: descriptor,
      tags: tag === undefined ? [] : [tag],
      repoDigests: [`${familiarName(ref)}@${top}`],
    },
    signal,
    (i) => {
      if (!present[i]) onProgress?.({ id: shortId(manifest.layers[i]!.digest), status: "Pull complete" });
    },
  );
  onProgress?.({ status: `Digest: ${top}` });
  const fresh = present.some((p) => !p);
  onProgress?.({
    status: `Status: ${fresh ? "Downloaded newer image" : "Image is up to date"} for ${familiarString(ref)}`,
  });
  return record;
}

/**
 * The manifest to push: the one the image came with when its blobs are all here, else a Docker
 * schema 2 manifest of the store's blobs (as `docker push` of a loaded image makes one).
 */
async function manifestFor(
  parts: StoreParts,
  record: ImageRecord,
): Promise<{ bytes: Buffer; mediaType: string }> {
  if (record.manifest && (await parts.blobs.has(record.manifest.digest))) {
    const bytes = await parts.blobs.read(record.manifest.digest);
    const parsed = parseManifest(bytes, record.manifest.mediaType);
    const same =
      parsed.kind === "manifest" &&
      parsed.config.digest === record.id &&
      parsed.layers.map((layer) => layer.digest).join() === record.layers.map((layer) => layer.digest).join();
    if (same) return { bytes, mediaType: parsed.mediaType };
  }
  const configSize = await parts.blobs.size(record.id);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: configSize, digest: record.id },
      layers: record.layers.map((layer) => ({
        mediaType: layer.digest === layer.diffId ? MediaType.dockerLayer : MediaType.dockerLayerGzip,
        size: layer.size,
        digest: layer.digest,
      })),
    }),
  );
  return { bytes, mediaType: MediaType.dockerManifest };
}

/** Pushes the image `record` as `reference` (a tag; `latest` when none is given). */
export async function pushImage(
  parts: StoreParts,
  record: ImageRecord,
  reference: string,
  options: DistributionOptions,
  onProgress?: OnProgress,
): Promise<{ digest: Digest; size: number }> {
  const { client, signal } = options;
  const ref = parseReference(reference);
  if (ref.tag === undefined) throw new InvalidRequestError(`push needs a tag, not a digest: ${reference}`);
  onProgress?.({ status: `The push refers to repository [${ref.name}]` });
  record.layers.forEach((layer) => onProgress?.({ id: shortId(layer.digest), status: "Preparing" }));
  await eachLimited(record.layers, CONCURRENT_UPLOADS, async (layer) => {
    const id = shortId(layer.digest);
    const source = (): Readable => {
      // No idle bound here: reading a local file waits only on the registry taking the bytes.
      const meter = new Meter((current) =>
        onProgress?.({ id, status: "Pushing", current, total: layer.size }),
      );
      const blob = parts.blobs.open(layer.digest);
      blob.once("error", (error) => meter.destroy(error));
      return blob.pipe(meter);
    };
    const result = await client.putBlob(ref, layer.digest, source, layer.size, { signal });
    onProgress?.({
      id,
      status:
        result.outcome === "uploaded"
          ? "Pushed"
          : result.outcome === "mounted"
            ? `Mounted from ${ref.path}`
            : "Layer already exists",
    });
  });
  await client.putBlob(ref, record.id, () => parts.blobs.open(record.id), await parts.blobs.size(record.id), {
    signal,
  });
  const manifest = await manifestFor(parts, record);
  const digest = sha256(manifest.bytes);
  await client.putManifest(ref, ref.tag, manifest.bytes, manifest.mediaType, { signal });
  await parts.blobs.putBytes(manifest.bytes);
  await parts.records.update(async (tx) => {
    const current = await tx.get(record.id);
    if (current === undefined) return;
    const repoDigest = `${familiarName(ref)}@${digest}`;
    await tx.put({
      ...current,
      manifest: { mediaType: manifest.mediaType, digest, size: manifest.bytes.length },
      repoDigests: current.repoDigests.includes(repoDigest)
        ? current.repoDigests
        : [...current.repoDigests, repoDigest],
    });
  }, signal);
  onProgress?.({ status: `${ref.tag}: digest: ${digest} size: ${manifest.bytes.length}` });
  return { digest, size: manifest.bytes.length };
}
