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
import { createReadStream, type Stats as FileStats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { feed } from "../../backpressure.js";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import { ContainerFs } from "./container-fs.js";
import type { ProcessHandle } from "./handle.js";
import { unpackEntries } from "./unpack-entries.js";
import { errnoCode } from "../../../errno.js";

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
    if (errnoCode(error) === "ENOENT") return undefined;
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
  await unpackEntries(
    extract,
    {
      parentOf: async (dir) => fs.hostPath(await fs.resolve(posix.join(base, dir))),
      linkTarget: async (linkname) => fs.hostPath(await fs.resolve(posix.join(base, linkname))),
    },
    { defaultMtime: () => new Date() },
  );
}
