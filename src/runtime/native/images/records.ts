/**
 * Image records and the tag index, under `images/`: `<id hex>.json` per image (its layers, the
 * manifest it came with, its repo digests) and `tags.json` (`familiar name:tag` → image ID). Each
 * file is written whole to a temporary name and renamed; every change goes through `update` under
 * the store's `images` lock, so two berths tagging at once cannot lose each other's tags.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fieldsOf, isRecord, itemsOf } from "../../../json-shape.js";
import { type Digest, digestHex, isDigest } from "./digest.js";
import { withStoreLock } from "./store-lock.js";
import { tempName } from "./temp-files.js";

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
}

export interface LayerRecord extends Descriptor {
  readonly diffId: Digest;
  /** Bytes of the uncompressed tar. */
  readonly diffSize: number;
}

export interface ImageRecord {
  /** The config's digest. */
  readonly id: Digest;
  /** Bottom → top. */
  readonly layers: readonly LayerRecord[];
  /** The manifest the image came with or was given, kept as a blob for push and save. */
  readonly manifest?: Descriptor | undefined;
  /** `name@sha256:…` for each registry the image was pulled from or pushed to. */
  readonly repoDigests: readonly string[];
  /** ISO time a tag last moved onto the image. */
  readonly lastTagTime?: string | undefined;
}

export type TagIndex = Readonly<Record<string, Digest>>;

export interface RecordStore {
  get(id: Digest): Promise<ImageRecord | undefined>;
  all(): Promise<ImageRecord[]>;
  tags(): Promise<TagIndex>;
  /** Runs `change` under the lock with the current tags; writes what it returns. */
  update<T>(change: (tx: RecordTransaction) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export interface RecordTransaction {
  readonly tags: Record<string, Digest>;
  get(id: Digest): Promise<ImageRecord | undefined>;
  all(): Promise<ImageRecord[]>;
  put(record: ImageRecord): Promise<void>;
  remove(id: Digest): Promise<void>;
}

const TAGS = "tags.json";

export function openRecordStore(imagesDir: string, locksDir: string): RecordStore {
  const recordPath = (id: Digest): string => path.join(imagesDir, `${digestHex(id)}.json`);

  async function writeAtomic(file: string, value: unknown): Promise<void> {
    await mkdir(imagesDir, { recursive: true });
    const temp = tempName(imagesDir);
    await writeFile(temp, `${JSON.stringify(value, null, 1)}\n`);
    await rename(temp, file);
  }

  async function get(id: Digest): Promise<ImageRecord | undefined> {
    try {
      return asImageRecord(JSON.parse(await readFile(recordPath(id), "utf8")), id);
    } catch {
      return undefined;
    }
  }

  async function all(): Promise<ImageRecord[]> {
    let names: string[];
    try {
      names = await readdir(imagesDir);
    } catch {
      return [];
    }
    const ids = names
      .filter((name) => name.endsWith(".json") && name !== TAGS)
      .map((name) => `sha256:${name.slice(0, -".json".length)}`)
      .filter(isDigest);
    const records = await Promise.all(ids.map(get));
    return records.filter((record): record is ImageRecord => record !== undefined);
  }

  async function tags(): Promise<TagIndex> {
    try {
      return asTagIndex(JSON.parse(await readFile(path.join(imagesDir, TAGS), "utf8")));
    } catch {
      return {};
    }
  }

  return {
    get,
    all,
    tags,
    update: (change, signal) =>
      withStoreLock(
        locksDir,
        "images",
        async () => {
          const before = await tags();
          const tx: RecordTransaction = {
            tags: { ...before },
            get,
            all,
            put: (record) => writeAtomic(recordPath(record.id), record),
            remove: (id) => rm(recordPath(id), { force: true }),
          };
          const result = await change(tx);
          if (JSON.stringify(tx.tags) !== JSON.stringify(before)) {
            const sorted = Object.fromEntries(Object.entries(tx.tags).sort(([a], [b]) => a.localeCompare(b)));
            await writeAtomic(path.join(imagesDir, TAGS), sorted);
          }
          return result;
        },
        signal,
      ),
  };
}

const isDigestText = (value: unknown): value is Digest => typeof value === "string" && isDigest(value);

function asDescriptor(value: unknown): Descriptor | undefined {
  const { mediaType, digest, size } = fieldsOf(value);
  if (typeof mediaType !== "string" || !isDigestText(digest) || typeof size !== "number") return undefined;
  return { mediaType, digest, size };
}

function asLayerRecord(value: unknown): LayerRecord | undefined {
  const descriptor = asDescriptor(value);
  const { diffId, diffSize } = fieldsOf(value);
  if (!descriptor || !isDigestText(diffId) || typeof diffSize !== "number") return undefined;
  return { ...descriptor, diffId, diffSize };
}

/** The record read from `<id>.json`, or undefined when it is not one for `id` (a damaged file). */
export function asImageRecord(value: unknown, id: Digest): ImageRecord | undefined {
  const fields = fieldsOf(value);
  if (fields["id"] !== id || !Array.isArray(fields["layers"])) return undefined;
  const layers = fields["layers"].map(asLayerRecord);
  if (!layers.every((layer): layer is LayerRecord => layer !== undefined)) return undefined;
  const manifest = fields["manifest"] === undefined ? undefined : asDescriptor(fields["manifest"]);
  if (fields["manifest"] !== undefined && !manifest) return undefined;
  const repoDigests = itemsOf(fields["repoDigests"]).filter((item) => typeof item === "string");
  const lastTagTime = typeof fields["lastTagTime"] === "string" ? fields["lastTagTime"] : undefined;
  return { id, layers, manifest, repoDigests, lastTagTime };
}

/** The tag index read from `tags.json`: entries that are not `name → digest` are dropped. */
export function asTagIndex(value: unknown): TagIndex {
  if (!isRecord(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, Digest] => isDigestText(entry[1])),
  );
}
