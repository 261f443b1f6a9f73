/**
 * Content-addressed blobs: `blobs/sha256/<hex>`. A blob is written to a temporary file while its
 * sha256 is computed, checked against the digest it must have, then renamed into place, so a blob
 * that exists is whole and right. One writer per blob (a lock): a second writer of the same blob
 * waits, then finds it present and reads nothing.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError, NotFoundError } from "../../errors.js";
import { type Digest, digestHex, HashingStream, isDigest, sha256 } from "./digest.js";
import { withStoreLock } from "./store-lock.js";
import { tempName } from "./temp-files.js";

export interface WriteOptions {
  /** The size the blob must have, when known (a descriptor's `size`). */
  readonly size?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called with the bytes written so far. */
  readonly onBytes?: ((written: number) => void) | undefined;
}

export interface BlobStore {
  path(digest: Digest): string;
  has(digest: Digest): Promise<boolean>;
  size(digest: Digest): Promise<number>;
  read(digest: Digest): Promise<Buffer>;
  /** The first `count` bytes (fewer when the blob is shorter). */
  head(digest: Digest, count: number): Promise<Buffer>;
  open(digest: Digest): Readable;
  /**
   * Makes the blob `digest` present: when missing, writes what `source()` streams, checked against
   * the digest. True when this call wrote it.
   */
  ensure(
    digest: Digest,
    source: () => Promise<Readable> | Readable,
    options?: WriteOptions,
  ): Promise<boolean>;
  /** Writes a stream whose digest is not known beforehand. */
  put(stream: Readable, options?: WriteOptions): Promise<{ readonly digest: Digest; readonly size: number }>;
  putBytes(bytes: Uint8Array | string): Promise<Digest>;
  remove(digest: Digest): Promise<void>;
  list(): Promise<Digest[]>;
}

export function openBlobStore(blobsDir: string, locksDir: string): BlobStore {
  const dir = path.join(blobsDir, "sha256");
  const blobPath = (digest: Digest): string => path.join(dir, digestHex(digest));

  /** Writes `stream` to a temporary file; returns it with the digest and size it had. */
  async function writeTemp(
    stream: Readable,
    options: WriteOptions,
  ): Promise<{ temp: string; digest: Digest; size: number }> {
    await mkdir(dir, { recursive: true });
    const temp = tempName(dir);
    const digester = new HashingStream(options.onBytes);
    try {
      await pipeline(stream, digester, createWriteStream(temp, { mode: 0o644 }), { signal: options.signal });
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { temp, digest: digester.digest(), size: digester.bytes };
  }

  const store: BlobStore = {
    path: blobPath,
    async has(digest) {
      try {
        await stat(blobPath(digest));
        return true;
      } catch {
        return false;
      }
    },
    async size(digest) {
      try {
        return (await stat(blobPath(digest))).size;
      } catch {
        throw new NotFoundError(`blob ${digest} is not in the store`);
      }
    },
    async read(digest) {
      try {
        return await readFile(blobPath(digest));
      } catch {
        throw new NotFoundError(`blob ${digest} is not in the store`);
      }
    },
    async head(digest, count) {
      const file = await open(blobPath(digest), "r").catch(() => {
        throw new NotFoundError(`blob ${digest} is not in the store`);
      });
      try {
        const buffer = Buffer.alloc(count);
        const { bytesRead } = await file.read(buffer, 0, count, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await file.close();
      }
    },
    open: (digest) => createReadStream(blobPath(digest)),
    ensure: (digest, source, options = {}) =>
      withStoreLock(
        locksDir,
        `blob-${digestHex(digest)}`,
        async () => {
          if (await store.has(digest)) return false;
          const written = await writeTemp(await source(), options);
          const wrongSize = options.size !== undefined && written.size !== options.size;
          if (written.digest !== digest || wrongSize) {
            await rm(written.temp, { force: true });
            throw new ApiError(
              wrongSize
                ? `blob ${digest}: expected ${options.size} bytes, got ${written.size}`
                : `blob ${digest}: the content's digest is ${written.digest}`,
            );
          }
          await rename(written.temp, blobPath(digest));
          return true;
        },
        options.signal,
      ),
    async put(stream, options = {}) {
      const written = await writeTemp(stream, options);
      // Same content, same name: a rename over an existing blob changes nothing a reader sees.
      await rename(written.temp, blobPath(written.digest));
      return { digest: written.digest, size: written.size };
    },
    async putBytes(bytes) {
      const digest = sha256(bytes);
      if (await store.has(digest)) return digest;
      await mkdir(dir, { recursive: true });
      const temp = tempName(dir);
      await writeFile(temp, bytes, { mode: 0o644 });
      await rename(temp, blobPath(digest));
      return digest;
    },
    async remove(digest) {
      await rm(blobPath(digest), { force: true });
    },
    async list() {
      try {
        return (await readdir(dir)).map((hex) => `sha256:${hex}`).filter(isDigest);
      } catch {
        return [];
      }
    },
  };
  return store;
}
