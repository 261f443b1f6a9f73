/**
 * ADD's local archives, as the classic builder treats them (moby pkg/archive DecompressStream,
 * then UntarPath): a file is an archive when, once decompressed (gzip, bzip2, xz or zstd, told by
 * their magic bytes), a tar header can be read from it. gzip is Node's zlib; bzip2, xz and zstd go
 * through Debian's `bzip2`, `xz` and `zstd` (argument arrays), as dockerd itself spawns `xz`.
 * Entries keep the archive's modes, owners and times; each is placed under its parent resolved with
 * the image's symlinks followed inside the root, so an entry cannot write outside it.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { execa } from "execa";
import tar from "tar-stream";
import { chunkBytes } from "../../../bytes.js";
import { InvalidRequestError } from "../../errors.js";
import { resolveInScope } from "../oci/scoped-path.js";

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

async function exists(file: string): Promise<{ isDirectory(): boolean } | undefined> {
  try {
    return await lstat(file);
  } catch {
    return undefined;
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
  const dirs: { at: string; mtime: Date }[] = [];
  for await (const entry of extract) {
    signal?.throwIfAborted();
    const h = entry.header;
    const name = path.posix.normalize(`/${h.name}`).slice(1).replace(/\/+$/, "");
    if (name === "") {
      entry.resume();
      continue;
    }
    const parentIn = await resolveInScope(path.posix.join(dest, path.posix.dirname(name)), (c) =>
      path.join(root, c),
    );
    await mkdir(path.join(root, parentIn), { recursive: true });
    const at = path.join(root, parentIn, path.posix.basename(name));
    const existing = await exists(at);
    if (existing && !(existing.isDirectory() && h.type === "directory"))
      await rm(at, { recursive: true, force: true });
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date(0);
    switch (h.type) {
      case "directory":
        if (!existing) await mkdir(at);
        dirs.push({ at, mtime });
        break;
      case "file":
      case "contiguous-file":
        await pipeline(
          entry,
          async function* (source: AsyncIterable<unknown>) {
            for await (const chunk of source) yield chunkBytes(chunk);
          },
          createWriteStream(at),
        );
        break;
      case "symlink":
        await symlink(h.linkname ?? "", at);
        break;
      case "link": {
        const target = await resolveInScope(
          path.posix.join(dest, path.posix.normalize(`/${h.linkname ?? ""}`)),
          (c) => path.join(root, c),
        );
        await link(path.join(root, target), at);
        break;
      }
      case "fifo":
        await execa("mkfifo", [at]);
        break;
      case "character-device":
      case "block-device":
        await execa("mknod", [
          at,
          h.type === "character-device" ? "c" : "b",
          String(h.devmajor ?? 0),
          String(h.devminor ?? 0),
        ]);
        break;
      default:
        entry.resume();
        continue;
    }
    entry.resume();
    if (h.type === "link") continue;
    await lchown(at, h.uid ?? 0, h.gid ?? 0);
    if (h.type === "symlink") await lutimes(at, mtime, mtime);
    else {
      await chmod(at, mode);
      if (h.type !== "directory") await utimes(at, mtime, mtime);
    }
  }
  for (const d of dirs.reverse()) await utimes(d.at, d.mtime, d.mtime);
  if (signal?.aborted) throw new InvalidRequestError("the build was aborted");
}
