/**
 * A build step's layer: the overlay upper dir of its container as a layer tar, the way moby's
 * overlay2 driver exports a diff (archive.TarWithOptions with the overlay whiteout converter):
 * entries in lexical order per directory, directories named with a trailing `/`, owners, modes and
 * times kept, hard links within the layer written as links, a whiteout (character device 0/0)
 * as an empty `.wh.<name>` file of mode 0600, and an opaque directory (`trusted.overlay.opaque=y`)
 * followed by its `.wh..wh..opq` entry. Node cannot read xattrs, so one `getfattr` (Debian's
 * `attr`) lists the opaque directories, with an argument array. Sockets are skipped, as Docker does.
 */
import type { Stats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import tar, { type Pack } from "tar-stream";
import { chunkBytes } from "../../../bytes.js";
import { fileEntry, type HeaderArg } from "../../tar-file-entry.js";

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
const OPAQUE_XATTR = "trusted.overlay.opaque";

/** The directories (relative, `""` for the root) marked opaque in `upper`. */
export async function opaqueDirs(upper: string): Promise<Set<string>> {
  const { stdout } = await execa(
    "getfattr",
    [
      "--absolute-names",
      "--physical",
      "--no-dereference",
      "--recursive",
      "--dump",
      "--match",
      `^trusted\\.overlay\\.opaque$`,
      upper,
    ],
    { stripFinalNewline: false },
  );
  const dirs = new Set<string>();
  let file: string | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("# file: ")) file = unescapeName(line.slice("# file: ".length));
    else if (file !== undefined && line === `${OPAQUE_XATTR}="y"`)
      dirs.add(path.relative(upper, file).split(path.sep).join("/"));
  }
  return dirs;
}

/** getfattr writes `\`, newlines and other special bytes of a name as octal escapes (`\012`). */
function unescapeName(text: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(text, "utf8");
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.subarray(i + 1, i + 4).toString())) {
      bytes.push(parseInt(raw.subarray(i + 1, i + 4).toString(), 8));
      i += 3;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString("utf8");
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
}

/**
 * What the runtime itself makes in a container's rootfs as mount points (Docker keeps them in the
 * container's init layer, below its diff, so they never reach an image): left out of the layer
 * when empty, with the directories that hold nothing else.
 */
export const INIT_MOUNT_POINTS: readonly string[] = [
  "dev/pts",
  "dev/shm",
  "dev/mqueue",
  "dev/console",
  "proc",
  "sys",
  ".dockerenv",
  "etc/resolv.conf",
  "etc/hosts",
  "etc/hostname",
  "etc/mtab",
];

export interface UpperDirTarOptions {
  readonly signal?: AbortSignal | undefined;
  /** Relative paths left out when they are empty files or directories (INIT_MOUNT_POINTS for a RUN). */
  readonly mountPoints?: readonly string[] | undefined;
}

/** The layer tar of `upper`, streamed as it is read. */
export async function* upperDirTar(
  upper: string,
  options: UpperDirTarOptions = {},
): AsyncIterable<Uint8Array> {
  const opaque = await opaqueDirs(upper);
  const pack = tar.pack();
  const written = writeTree(pack, upper, opaque, options);
  void written.then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  try {
    for await (const chunk of pack) yield chunkBytes(chunk);
  } finally {
    if (!pack.destroyed) pack.destroy();
  }
}

interface Item {
  readonly rel: string;
  readonly stat: Stats;
}

/** The entries in tar order; empty mount points, and directories holding only them, left out. */
async function listTree(
  upper: string,
  opaque: ReadonlySet<string>,
  options: UpperDirTarOptions,
): Promise<Item[]> {
  const points = new Set(options.mountPoints ?? []);
  const holders = new Set(
    [...points].flatMap((p) => {
      const parts = p.split("/");
      return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
    }),
  );
  async function list(dir: string): Promise<Item[]> {
    const items: Item[] = [];
    for (const name of (await readdir(dir === "" ? upper : path.join(upper, dir))).sort()) {
      options.signal?.throwIfAborted();
      const rel = dir === "" ? name : `${dir}/${name}`;
      const stat = await lstat(path.join(upper, rel));
      if (stat.isDirectory()) {
        const below = await list(rel);
        const droppable = (points.has(rel) || holders.has(rel)) && !opaque.has(rel);
        if (!(below.length === 0 && droppable)) items.push({ rel, stat }, ...below);
      } else if (!(points.has(rel) && stat.isFile() && stat.size === 0)) items.push({ rel, stat });
    }
    return items;
  }
  return list("");
}

async function writeTree(
  pack: Pack,
  upper: string,
  opaque: ReadonlySet<string>,
  options: UpperDirTarOptions,
): Promise<void> {
  const links = new Map<string, string>();
  // The root's own opaqueness cannot be expressed in a layer; Docker's converter ignores it too.
  for (const { rel, stat } of await listTree(upper, opaque, options)) {
    options.signal?.throwIfAborted();
    if (pack.destroyed) return;
    const slash = rel.lastIndexOf("/");
    const whiteout = `${rel.slice(0, slash + 1)}${WHITEOUT}${rel.slice(slash + 1)}`;
    const abs = path.join(upper, rel);
    const base = header(rel, stat);
    if (stat.isCharacterDevice() && stat.rdev === 0) {
      await entry(pack, { ...base, name: whiteout, type: "file", mode: 0o600, size: 0 });
    } else if (stat.isDirectory()) {
      await entry(pack, { ...base, name: `${rel}/`, type: "directory" });
      if (opaque.has(rel))
        await entry(pack, {
          ...base,
          name: `${rel}/${OPAQUE}`,
          type: "file",
          mode: stat.mode & 0o777,
          size: 0,
        });
    } else if (stat.isSymbolicLink()) {
      await entry(pack, { ...base, type: "symlink", linkname: await readlink(abs) });
    } else if (stat.isFile()) {
      const key = `${stat.dev}:${stat.ino}`;
      const first = stat.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) await entry(pack, { ...base, type: "link", linkname: first, size: 0 });
      else {
        if (stat.nlink > 1) links.set(key, rel);
        await fileEntry(pack, { ...base, type: "file", size: stat.size }, abs);
      }
    } else if (stat.isFIFO()) {
      await entry(pack, { ...base, type: "fifo" });
    } else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
      const type = stat.isCharacterDevice() ? "character-device" : "block-device";
      await entry(pack, { ...base, type, devmajor: major(stat.rdev), devminor: minor(stat.rdev) });
    }
    // Sockets cannot be archived; Docker skips them too.
  }
}

function header(name: string, stat: Stats): HeaderArg {
  return { name, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtime: stat.mtime, size: 0 };
}

function entry(pack: Pack, h: HeaderArg): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    // An empty file (a whiteout) still needs its (empty) body, or the tar waits for it.
    if (h.type === "file") pack.entry(h, Buffer.alloc(0), done);
    else pack.entry(h, done);
  });
}
