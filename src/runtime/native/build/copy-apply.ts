/**
 * A COPY/ADD source written into the image being built, as the classic builder writes it (moby
 * builder/dockerfile/copy.go performCopyForInfo): `root` is the merged view of the current image
 * (writes land in its upper dir, which becomes the step's layer).
 * - A directory's contents go into the destination (made 0755 when missing); a file goes to the
 *   destination, or into it when it ends in `/` or is an existing directory; ADD unpacks a local
 *   archive there instead (archive.ts).
 * - Missing parents are made 0755 and owned by the `--chown` identity (root without one).
 * - Copied entries keep their modes and times; their owner is the identity (root by default), or
 *   the source's own for `COPY --from` without `--chown`; `--chmod` sets every copied mode. An
 *   existing directory given as the destination keeps its own mode and owner.
 * - Every destination path is resolved with the image's symlinks followed inside `root`, and
 *   what replaces an existing entry never follows its last component, so nothing written leaves it.
 */
import type { Stats } from "node:fs";
import {
  copyFile,
  chmod,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { resolveInScope } from "../oci/scoped-path.js";
import { extractArchive, isArchive } from "./archive.js";
import { type CopySource, lstatOrUndefined } from "./copy-sources.js";

export interface Identity {
  readonly uid: number;
  readonly gid: number;
}

export interface CopyOptions {
  /** The `--chown` identity; undefined keeps the source's owners (`COPY --from`) or root. */
  readonly identity?: Identity | undefined;
  /** Whether owners of copied entries are kept (COPY --from without --chown). */
  readonly preserveOwners: boolean;
  /** `--chmod`: the mode of every copied entry. */
  readonly chmod?: number | undefined;
  /** ADD: unpack a local archive. */
  readonly decompress: boolean;
  readonly signal?: AbortSignal | undefined;
}

const ROOT: Identity = { uid: 0, gid: 0 };

/** `p` (absolute, in the image) with its symlinks resolved inside `root`. */
export function resolveIn(root: string, p: string): Promise<string> {
  return resolveInScope(p, (c) => path.join(root, c));
}

/** MkdirAllAndChownNew: the missing directories of `dir` made 0755 and owned by `identity`. */
export async function mkdirAllNew(root: string, dir: string, identity: Identity): Promise<string> {
  const resolved = await resolveIn(root, dir);
  const parts = resolved.split("/").filter((p) => p !== "");
  for (let i = 1; i <= parts.length; i++) {
    const at = path.join(root, ...parts.slice(0, i));
    const stat = await lstatOrUndefined(at);
    if (stat?.isDirectory()) continue;
    if (stat !== undefined) throw new Error(`mkdir ${`/${parts.slice(0, i).join("/")}`}: not a directory`);
    await mkdir(at, { mode: 0o755 });
    await chmod(at, 0o755);
    await lchown(at, identity.uid, identity.gid);
  }
  return resolved;
}

/** Copies one entry (not a directory's contents) from `src` to `dst`, replacing what is there. */
async function copyEntry(
  src: string,
  stat: Stats,
  dst: string,
  owner: Identity,
  mode: number,
  links: Map<string, string>,
): Promise<void> {
  const existing = await lstatOrUndefined(dst);
  if (existing !== undefined && !(existing.isDirectory() && stat.isDirectory()))
    await rm(dst, { recursive: true, force: true });
  const key = `${stat.dev}:${stat.ino}`;
  if (stat.isFile() && stat.nlink > 1 && links.has(key)) {
    await link(links.get(key)!, dst);
    return;
  }
  if (stat.isDirectory()) {
    if (existing === undefined) await mkdir(dst);
  } else if (stat.isSymbolicLink()) await symlink(await readlink(src), dst);
  else if (stat.isFile()) {
    await copyFile(src, dst);
    if (stat.nlink > 1) links.set(key, dst);
  } else if (stat.isFIFO()) await execa("mkfifo", [dst]);
  else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
    const major = ((stat.rdev >>> 8) & 0xfff).toString();
    const minor = ((stat.rdev & 0xff) | ((stat.rdev >>> 12) & ~0xff)).toString();
    await execa("mknod", [dst, stat.isCharacterDevice() ? "c" : "b", major, minor]);
  } else return;
  await lchown(dst, owner.uid, owner.gid);
  if (stat.isSymbolicLink()) await lutimes(dst, stat.atime, stat.mtime);
  else {
    await chmod(dst, mode);
    if (!stat.isDirectory()) await utimes(dst, stat.atime, stat.mtime);
  }
}

async function copyTree(
  srcDir: string,
  dstDir: string,
  options: CopyOptions,
  links: Map<string, string>,
): Promise<void> {
  for (const name of (await readdir(srcDir)).sort()) {
    options.signal?.throwIfAborted();
    const src = path.join(srcDir, name);
    const dst = path.join(dstDir, name);
    const stat = await lstat(src);
    const owner = ownerOf(stat, options);
    await copyEntry(src, stat, dst, owner, options.chmod ?? stat.mode & 0o7777, links);
    if (stat.isDirectory()) {
      await copyTree(src, dst, options, links);
      await utimes(dst, stat.atime, stat.mtime);
    }
  }
}

function ownerOf(stat: Stats, options: CopyOptions): Identity {
  if (options.identity) return options.identity;
  return options.preserveOwners ? { uid: stat.uid, gid: stat.gid } : ROOT;
}

/** Writes `source` to `dest` (absolute in the image; a trailing `/` marks a directory). */
export async function applyCopy(
  root: string,
  dest: string,
  source: CopySource,
  options: CopyOptions,
): Promise<void> {
  const srcPath = path.join(source.root, source.resolved);
  const parentIdentity = options.identity ?? ROOT;
  const destClean = path.posix.normalize(dest);
  if (source.stat.isDirectory()) {
    const resolved = await resolveIn(root, destClean);
    const existed = (await lstatOrUndefined(path.join(root, resolved)))?.isDirectory() === true;
    await mkdirAllNew(root, resolved, ROOT);
    const at = path.join(root, resolved);
    if (!existed) {
      if (options.identity) await lchown(at, options.identity.uid, options.identity.gid);
      if (options.chmod !== undefined) await chmod(at, options.chmod);
    }
    await copyTree(srcPath, at, options, new Map());
    return;
  }
  if (options.decompress && !source.noDecompress && (await isArchive(srcPath))) {
    const resolved = await mkdirAllNew(root, destClean, ROOT);
    await extractArchive(srcPath, root, resolved, options.signal);
    return;
  }
  let target = await resolveIn(root, destClean);
  const destIsDir = (await lstatOrUndefined(path.join(root, target)))?.isDirectory() === true;
  if (dest.endsWith("/") || destIsDir)
    target = await resolveIn(root, path.posix.join(target, path.posix.basename(source.rel)));
  const parent = await mkdirAllNew(root, path.posix.dirname(target), parentIdentity);
  const at = path.join(root, parent, path.posix.basename(target));
  const owner = ownerOf(source.stat, options);
  await copyEntry(srcPath, source.stat, at, owner, options.chmod ?? source.stat.mode & 0o7777, new Map());
}
