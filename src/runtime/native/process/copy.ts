/**
 * copyTo and copyFrom: tar archives into and out of the container's filesystem at a path, as
 * Docker's archive API (moby container/archive.go, daemon/archive.go) gives them:
 * - paths are the container's: every symlink on the way is resolved with the rootfs as `/`
 *   (container-fs.ts, moby's FollowSymlinkInScope), so no link leads out of it, and each entry
 *   written is placed under a parent resolved the same way, its last component never followed
 *   (O_NOFOLLOW, lchown); under a bind mount or volume, the mount's source is read and written;
 * - copyTo refuses a read-only rootfs or read-only mount at the destination, as Docker does;
 * - copyFrom does not follow the path's last component (a link comes out as a link, as
 *   `docker cp` without -L), unless the path ends in `/` or `/.`; a directory comes out as the
 *   archive's top entry (`tmp/`, `tmp/hello.txt`), `/.` gives its contents (`./hello.txt`);
 * - copyTo extracts into an existing directory (the last link followed); modes, owners, times,
 *   symlinks, hard links, devices and FIFOs are kept; an existing entry is replaced unless both
 *   are directories.
 * Writing into a running container's merged overlay directory from the host is seen inside it at
 * once. (A container could swap a directory for a symlink between the resolution and the write;
 * Docker closes that race by extracting in a chroot, which Node cannot enter.)
 */
import { execFile } from "node:child_process";
import { constants, createReadStream, type Stats as FileStats } from "node:fs";
import {
  chmod,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  readlink,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { feed } from "../../backpressure.js";
import { ApiError, ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import { ContainerFs } from "./container-fs.js";
import type { ProcessHandle } from "./handle.js";

const posix = path.posix;

/** The container path `p` names, absolute and clean, with a trailing `/` or `/.` kept as a flag. */
function containerPath(p: string): { clean: string; followLast: boolean; contentsOnly: boolean } {
  const contentsOnly = p === "." || p.endsWith("/.");
  const followLast = contentsOnly || p.endsWith("/");
  return { clean: posix.join("/", p), followLast, contentsOnly };
}

function notFound(handle: ProcessHandle, p: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${p} in container ${handle.id}`);
}

async function lstatOrUndefined(file: string): Promise<FileStats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

// --- copyFrom ---------------------------------------------------------------------------------

function typeOf(stat: FileStats): tar.Header["type"] | undefined {
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symlink";
  if (stat.isCharacterDevice()) return "character-device";
  if (stat.isBlockDevice()) return "block-device";
  if (stat.isFIFO()) return "fifo";
  return undefined; // sockets are left out, as Go's archive/tar leaves them
}

async function addEntry(
  pack: tar.Pack,
  hostPath: string,
  name: string,
  stat: FileStats,
  hardLinks: Map<string, string>,
): Promise<void> {
  const type = typeOf(stat);
  if (type === undefined) return;
  const header: Partial<tar.Header> & Pick<tar.Header, "name"> = {
    name: type === "directory" && !name.endsWith("/") ? `${name}/` : name,
    mode: stat.mode & 0o7777,
    uid: stat.uid,
    gid: stat.gid,
    mtime: stat.mtime,
    type,
  };
  if (type === "symlink") header.linkname = await readlink(hostPath);
  if (type === "character-device" || type === "block-device") {
    header.devmajor = Math.floor(stat.rdev / 256);
    header.devminor = stat.rdev % 256;
  }
  if (type === "file" && stat.nlink > 1) {
    const key = `${stat.dev}:${stat.ino}`;
    const first = hardLinks.get(key);
    if (first !== undefined) {
      header.type = "link";
      header.linkname = first;
    } else {
      hardLinks.set(key, name);
    }
  }
  if (header.type !== "file") {
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, (error) => (error ? reject(error) : resolve())),
    );
    return;
  }
  header.size = stat.size;
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    feed(createReadStream(hostPath), entry);
  });
}

async function addTree(
  pack: tar.Pack,
  fs: ContainerFs,
  where: string,
  name: string,
  stat: FileStats,
  hardLinks: Map<string, string>,
): Promise<void> {
  const hostPath = fs.hostPath(where);
  if (name !== "") await addEntry(pack, hostPath, name, stat, hardLinks);
  if (!stat.isDirectory()) return;
  // A mount's target inside this directory is walked at its source (containerFs maps it).
  const children = new Set(await readdir(hostPath));
  for (const target of fs.mountTargetsIn(where)) children.add(posix.basename(target));
  for (const child of [...children].sort()) {
    const childWhere = posix.join(where, child);
    const childStat = await lstatOrUndefined(fs.hostPath(childWhere));
    if (childStat === undefined) continue; // gone meanwhile (a running container)
    await addTree(pack, fs, childWhere, name === "" ? child : posix.join(name, child), childStat, hardLinks);
  }
}

/** The container's filesystem, with its mounts, as the handle describes it. */
function containerFs(handle: ProcessHandle): ContainerFs {
  return new ContainerFs(handle.rootfs, handle.mounts ?? []);
}

/** A tar archive of `p` inside the container; NotFoundError when there is nothing there. */
export async function copyFrom(handle: ProcessHandle, p: string): Promise<Readable> {
  const fs = containerFs(handle);
  const { clean, followLast, contentsOnly } = containerPath(p);
  const where = followLast
    ? await fs.resolve(clean)
    : posix.join(await fs.resolve(posix.dirname(clean)), posix.basename(clean));
  const stat = await lstatOrUndefined(fs.hostPath(where));
  if (stat === undefined) throw notFound(handle, p);
  // The archive's names start with the path's own name (`/` gives the root's children as they are).
  const name = contentsOnly ? "." : clean === "/" ? "" : posix.basename(clean);

  const pack = tar.pack();
  addTree(pack, fs, where, name, stat, new Map()).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

// --- copyTo -----------------------------------------------------------------------------------

/** An entry's name as a clean relative path; refused when it would climb out of the destination. */
function entryName(name: string): string | undefined {
  const clean = posix.normalize(`/${name}`).slice(1).replace(/\/$/, "");
  if (clean === "" || clean === ".") return undefined;
  return clean;
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new ApiError(`${command} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** Removes what is at `target` unless both it and the new entry are directories. */
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

/** Extracts `archive` into the directory `p` of the container. */
export async function copyTo(handle: ProcessHandle, p: string, archive: Readable): Promise<void> {
  const fs = containerFs(handle);
  // The destination as the container names it, links resolved: entries are resolved under it.
  const base = await fs.resolve(containerPath(p).clean);
  const destStat = await lstatOrUndefined(fs.hostPath(base));
  if (destStat === undefined) throw notFound(handle, p);
  if (!destStat.isDirectory()) throw new InvalidRequestError(`extraction point is not a directory: ${p}`);
  const mount = fs.mountOf(base);
  if (mount?.readOnly === true)
    throw new ConflictError(`mounted volume is marked read-only: ${mount.target}`);
  if (mount === undefined && handle.readOnlyRootfs === true) {
    throw new ConflictError("container rootfs is marked read-only");
  }

  const extract = tar.extract();
  feed(archive, extract);
  const directoryTimes: { target: string; mtime: Date }[] = [];
  for await (const entry of extract) {
    const header = entry.header;
    const name = entryName(header.name);
    if (name === undefined) {
      // The destination itself (`./`): its own metadata is left as it is.
      entry.resume();
      continue;
    }
    const parent = fs.hostPath(await fs.resolve(posix.join(base, posix.dirname(name))));
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
      case "link": {
        const source = fs.hostPath(await fs.resolve(posix.join(base, header.linkname ?? "")));
        await link(source, target);
        break;
      }
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
    if (header.type === "symlink") {
      const mtime = header.mtime ?? new Date();
      await lutimes(target, mtime, mtime);
      continue;
    }
    // After chown, which clears the set-id bits.
    await chmod(target, mode & 0o7777);
    const mtime = header.mtime ?? new Date();
    if (isDirectory) directoryTimes.push({ target, mtime });
    else await utimes(target, mtime, mtime);
  }
  // Directories last, deepest first: writing their entries moved their times.
  for (const { target, mtime } of directoryTimes.reverse()) await utimes(target, mtime, mtime);
}
