/**
 * Writing a tar stream's entries into a directory tree, as Docker's archive extraction does: each
 * entry under a parent the caller resolves (so no symlink leads out of its scope), its own last
 * component never followed (O_NOFOLLOW, lchown, lutimes); an existing entry replaced unless both are
 * directories; modes, owners and times kept (chmod after chown, which clears set-id bits; directory
 * times last, deepest first, since writing their entries moved them); symlinks, hard links,
 * devices and FIFOs made. Used by `cp` into a container (copy.ts) and the builder's ADD of a local
 * archive (../build/archive.ts).
 */
import { execFile } from "node:child_process";
import { constants, type Stats } from "node:fs";
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type tar from "tar-stream";
import { errnoCode } from "../../../errno.js";
import { ApiError } from "../../errors.js";

const posix = path.posix;

export interface UnpackPlaces {
  /** The host directory that the relative directory `dir` of the archive resolves to. */
  parentOf(dir: string): Promise<string>;
  /** The host path a hard link's `linkname` names. */
  linkTarget(linkname: string): Promise<string>;
}

export interface UnpackOptions {
  /** The time of an entry that has none (Docker: now for `cp`, the epoch for ADD). */
  readonly defaultMtime: () => Date;
  readonly signal?: AbortSignal | undefined;
}

/** An entry's name as a clean relative path; undefined for the destination itself. */
function entryName(name: string): string | undefined {
  const clean = posix.normalize(`/${name}`).slice(1).replace(/\/+$/, "");
  return clean === "" || clean === "." ? undefined : clean;
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new ApiError(`${command} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** Removes what is at `target` unless both it and the new entry are directories; true when kept. */
async function makeRoom(target: string, newIsDirectory: boolean): Promise<boolean> {
  const existing = await lstatOrUndefined(target);
  if (existing === undefined) return false;
  if (existing.isDirectory() && newIsDirectory) return true;
  await rm(target, { recursive: true, force: true });
  return false;
}

async function openNewFile(target: string, mode: number): Promise<Writable> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  return (await open(target, flags, mode & 0o777)).createWriteStream();
}

/** Writes every entry `extract` gives under the places the caller resolves. */
export async function unpackEntries(
  extract: tar.Extract,
  places: UnpackPlaces,
  options: UnpackOptions,
): Promise<void> {
  const directoryTimes: { target: string; mtime: Date }[] = [];
  for await (const entry of extract) {
    options.signal?.throwIfAborted();
    const header = entry.header;
    const name = entryName(header.name);
    if (name === undefined) {
      // The destination itself (`./`): its own metadata is left as it is.
      entry.resume();
      continue;
    }
    const parent = await places.parentOf(posix.dirname(name));
    await mkdir(parent, { recursive: true, mode: 0o755 });
    const target = path.join(parent, posix.basename(name));
    const mode = header.mode ?? 0o644;
    const isDirectory = header.type === "directory";
    const kept = await makeRoom(target, isDirectory);
    switch (header.type) {
      case "directory":
        if (!kept) await mkdir(target, { mode: mode & 0o777 });
        break;
      case "file":
      case "contiguous-file":
        await pipeline(entry, await openNewFile(target, mode));
        break;
      case "symlink":
        await symlink(header.linkname ?? "", target);
        break;
      case "link":
        await link(await places.linkTarget(header.linkname ?? ""), target);
        break;
      case "character-device":
      case "block-device":
        await run("mknod", [
          target,
          header.type === "block-device" ? "b" : "c",
          String(header.devmajor ?? 0),
          String(header.devminor ?? 0),
        ]);
        break;
      case "fifo":
        await run("mknod", [target, "p"]);
        break;
      default:
        // Other kinds (pax and GNU extension headers are read by tar-stream itself) are skipped.
        entry.resume();
        continue;
    }
    entry.resume(); // whatever the kind, its data (none but a file's) is read to its end
    // A hard link is the inode already written: a chown now would clear its set-id bits.
    if (header.type === "link") continue;
    await lchown(target, header.uid ?? 0, header.gid ?? 0);
    const mtime = header.mtime ?? options.defaultMtime();
    if (header.type === "symlink") {
      await lutimes(target, mtime, mtime);
      continue;
    }
    await chmod(target, mode & 0o7777);
    if (isDirectory) directoryTimes.push({ target, mtime });
    else await utimes(target, mtime, mtime);
  }
  for (const { target, mtime } of directoryTimes.reverse()) await utimes(target, mtime, mtime);
}
