/**
 * ADD's local archives, as the classic builder treats them (moby pkg/archive DecompressStream,
 * then UntarPath): a file is an archive when, once decompressed (gzip, bzip2, xz or zstd, told by
 * their magic bytes), a tar header can be read from it. gzip is Node's zlib; bzip2, xz and zstd go
 * through Debian's `bzip2`, `xz` and `zstd` (argument arrays), as dockerd itself spawns `xz`.
 * Entries keep the archive's modes, owners and times; each is placed under its parent resolved with
 * the image's symlinks followed inside the root, so an entry cannot write outside it.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { execa } from "execa";
import tar from "tar-stream";
import { InvalidRequestError } from "../../errors.js";
import { resolveInScope } from "../oci/scoped-path.js";
import { unpackEntries } from "../process/unpack-entries.js";

type Kind = "gzip" | "bzip2" | "xz" | "zstd" | "none";

export function compressionOf(head: Uint8Array): Kind {
  const b = Buffer.from(head);
  if (b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08) return "gzip";
  if (b.subarray(0, 3).toString("latin1") === "BZh") return "bzip2";
  if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "xz";
  if (b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return "zstd";
  return "none";
}

async function head(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await handle.read(buf, 0, 6, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The file's bytes, decompressed. */
async function decompressedStream(file: string, signal?: AbortSignal): Promise<Readable> {
  const kind = compressionOf(await head(file));
  if (kind === "none") return createReadStream(file);
  if (kind === "gzip") {
    const gunzip = createGunzip();
    const source = createReadStream(file);
    source.on("error", (err) => gunzip.destroy(err));
    return source.pipe(gunzip);
  }
  const tool = { bzip2: "bzip2", xz: "xz", zstd: "zstd" }[kind];
  const child = execa(tool, ["-d", "-c", "-q"], {
    inputFile: file,
    buffer: false,
    stripFinalNewline: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  // Its exit is read by whoever reads the stream to the end; a tool that fails ends it early.
  child.catch(() => undefined);
  return child.stdout;
}

/** Whether `file` is an archive ADD unpacks: a tar header reads from it once decompressed. */
export async function isArchive(file: string): Promise<boolean> {
  let stream: Readable;
  try {
    stream = await decompressedStream(file);
  } catch {
    return false;
  }
  const extract = tar.extract();
  try {
    const found = await new Promise<boolean>((resolve) => {
      extract.on("entry", (_h, body) => {
        body.resume();
        resolve(true);
      });
      extract.on("finish", () => resolve(false));
      extract.on("error", () => resolve(false));
      stream.on("error", () => resolve(false));
      stream.pipe(extract);
    });
    return found;
  } finally {
    stream.destroy();
    extract.destroy();
  }
}

/** Unpacks `file` into `dest` (absolute in the image, resolved, existing) under `root`. */
export async function extractArchive(
  file: string,
  root: string,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  const extract = tar.extract();
  const stream = await decompressedStream(file, signal);
  stream.on("error", (err) => extract.destroy(err));
  stream.pipe(extract);
  // Every path resolved with `root` as `/`, so no link in the image or the archive leads out.
  const inScope = async (p: string): Promise<string> =>
    path.join(root, await resolveInScope(p, (c) => path.join(root, c)));
  await unpackEntries(
    extract,
    {
      parentOf: (dir) => inScope(path.posix.join(dest, dir)),
      linkTarget: (linkname) => inScope(path.posix.join(dest, path.posix.normalize(`/${linkname}`))),
    },
    { defaultMtime: () => new Date(0), signal },
  );
  if (signal?.aborted) throw new InvalidRequestError("the build was aborted");
}
