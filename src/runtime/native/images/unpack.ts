/**
 * A layer tar unpacked into a directory the way overlayfs reads layers (docs.kernel.org
 * `filesystems/overlayfs`, as moby's overlay2 does): `.wh.<name>` becomes a character device 0/0
 * named `<name>`, `.wh..wh..opq` in D becomes `trusted.overlay.opaque=y` on D. Node can neither
 * mknod nor set xattrs, so `mknod` and `setfattr` (Debian's `attr`) are spawned with argument arrays.
 * Owners, modes and times are kept. An entry may not leave the directory, neither by `..` nor
 * through a symlink the layer made (extraction would follow it onto the host). The diff ID (sha256
 * of the uncompressed tar) is computed on the way.
 */
import { createWriteStream } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import tar, { type ExtractEvents, type Header } from "tar-stream";
import { InvalidRequestError } from "../../errors.js";
import { decompressed } from "./compression.js";
import { type Digest, HashingStream } from "./digest.js";
import { errnoCode } from "../../../errno.js";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
/** setfattr takes many files per call; keep each argument list short. */
const FILES_PER_CALL = 200;

export interface Unpacked {
  readonly diffId: Digest;
  /** Bytes of the uncompressed tar. */
  readonly size: number;
}

/** The entry's path inside the layer, normalised; throws when it would leave it. */
export function entryPath(name: string): string {
  const normal = path.posix.normalize(`/${name}`).slice(1).replace(/\/+$/, "");
  if (normal === ".." || normal.startsWith("../"))
    throw new InvalidRequestError(`layer entry ${JSON.stringify(name)} leaves the layer`);
  return normal;
}

function isMissing(error: unknown): boolean {
  return errnoCode(error) === "ENOENT";
}

type Entry = ExtractEvents["entry"][1];

/** Skips an entry's content (tar-stream moves to the next entry once it is read). */
function drain(entry: Entry): void {
  entry.resume();
}

/** Unpacks one layer (plain or gzip) into `dir`, which exists and is empty. */
export async function unpackLayer(source: Readable, dir: string, signal?: AbortSignal): Promise<Unpacked> {
  const plain = await decompressed(source);
  const hasher = new HashingStream();
  const extract = tar.extract();
  const feeding = pipeline(plain, hasher, extract, { signal });
  const realDirs = new Set<string>([""]);
  /** Every path made so far: the directory starts empty, so nothing else can be in the way. */
  const made = new Set<string>();
  const opaque = new Set<string>();
  const dirTimes = new Map<string, Date>();

  /**
   * Checks that the parent directories of `rel` are real directories (no symlink the layer made can
   * lead outside it), making the missing ones when `create`.
   */
  async function parents(rel: string, create = true): Promise<void> {
    const parts = rel.split("/").slice(0, -1);
    let current = "";
    for (const part of parts) {
      current = current === "" ? part : `${current}/${part}`;
      if (realDirs.has(current)) continue;
      const full = path.join(dir, current);
      try {
        const stat = await lstat(full);
        if (!stat.isDirectory())
          throw new InvalidRequestError(
            `layer entry under ${JSON.stringify(current)}, which is not a directory`,
          );
      } catch (error) {
        if (!isMissing(error) || !create) throw error;
        await mkdir(full, { mode: 0o755 });
        made.add(current);
      }
      realDirs.add(current);
    }
  }

  /** Clears what a repeated entry replaces (a directory stays when a directory replaces it). */
  async function clear(rel: string, keepDir: boolean): Promise<void> {
    // Most entries are new: no lstat for them, and no scan of the known directories.
    if (!made.has(rel)) {
      made.add(rel);
      return;
    }
    const full = path.join(dir, rel);
    try {
      const stat = await lstat(full);
      if (keepDir && stat.isDirectory()) return;
      await rm(full, { recursive: true, force: true });
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    // What was a directory here may become a symlink: check paths through it again.
    for (const known of realDirs) if (known === rel || known.startsWith(`${rel}/`)) realDirs.delete(known);
  }

  async function mknod(full: string, header: Header): Promise<void> {
    const kind =
      header.type === "fifo"
        ? ["p"]
        : [header.type === "block-device" ? "b" : "c", String(header.devmajor), String(header.devminor)];
    await execa("mknod", [full, ...kind]);
  }

  async function entry(header: Header, body: Entry): Promise<void> {
    const rel = entryPath(header.name);
    if (rel === "" || rel === ".") {
      drain(body);
      return;
    }
    await parents(rel);
    const base = path.posix.basename(rel);
    const parent = path.posix.dirname(rel) === "." ? "" : path.posix.dirname(rel);
    const full = path.join(dir, rel);
    if (base === OPAQUE) {
      opaque.add(parent);
      drain(body);
      return;
    }
    if (base.startsWith(WHITEOUT)) {
      drain(body);
      // `.wh..wh.*` other than the opaque marker are aufs bookkeeping, not whiteouts.
      if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return;
      const targetRel = path.posix.join(parent, base.slice(WHITEOUT.length));
      const target = path.join(dir, targetRel);
      await clear(targetRel, false);
      await execa("mknod", [target, "c", "0", "0"]);
      return;
    }
    switch (header.type) {
      case "directory":
        await clear(rel, true);
        await mkdir(full, { recursive: true });
        realDirs.add(rel);
        drain(body);
        break;
      case "file":
      case "contiguous-file":
        await clear(rel, false);
        await pipeline(body, createWriteStream(full, { mode: 0o600 }));
        break;
      case "symlink":
        await clear(rel, false);
        drain(body);
        await symlink(header.linkname, full);
        break;
      case "link": {
        drain(body);
        const targetRel = entryPath(header.linkname);
        // link(2) follows symlinks in the target's directories: they must be the layer's own.
        await parents(targetRel, false).catch((error: unknown) => {
          throw isMissing(error)
            ? new InvalidRequestError(
                `layer hard link ${JSON.stringify(header.name)} points to ${JSON.stringify(header.linkname)}, which is not in the layer`,
              )
            : error;
        });
        const target = path.join(dir, targetRel);
        await clear(rel, false);
        try {
          await link(target, full);
        } catch (error) {
          if (isMissing(error))
            throw new InvalidRequestError(
              `layer hard link ${JSON.stringify(header.name)} points to ${JSON.stringify(header.linkname)}, which is not in the layer`,
            );
          throw error;
        }
        return; // A hard link shares its target's owner, mode and times.
      }
      case "character-device":
      case "block-device":
      case "fifo":
        await clear(rel, false);
        drain(body);
        await mknod(full, header);
        break;
      default:
        drain(body);
        return;
    }
    await lchown(full, header.uid, header.gid);
    if (header.type === "symlink") {
      await lutimes(full, header.mtime, header.mtime);
      return;
    }
    // After chown, which clears set-user-ID bits.
    await chmod(full, header.mode & 0o7777);
    if (header.type === "directory") dirTimes.set(full, header.mtime);
    else await utimes(full, header.mtime, header.mtime);
  }

  try {
    for await (const item of extract) await entry(item.header, item);
    await feeding;
  } catch (error) {
    extract.destroy();
    await feeding.catch(() => undefined);
    throw error;
  }
  // Each opaque directory checked (and made) as any entry's parents are, so none is a symlink.
  for (const rel of opaque) await parents(path.posix.join(rel, OPAQUE));
  const opaqueDirs = [...opaque].map((rel) => path.join(dir, rel));
  for (let i = 0; i < opaqueDirs.length; i += FILES_PER_CALL) {
    // -h: never follow a symlink (a later entry may have replaced the directory with one).
    await execa("setfattr", [
      "-h",
      "-n",
      "trusted.overlay.opaque",
      "-v",
      "y",
      "--",
      ...opaqueDirs.slice(i, i + FILES_PER_CALL),
    ]);
  }
  // Last, and deepest first: writing into a directory changes its times.
  for (const [full, mtime] of [...dirTimes].reverse()) await lutimes(full, mtime, mtime);
  return { diffId: hasher.digest(), size: hasher.bytes };
}
