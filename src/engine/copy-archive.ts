/**
 * The host side of `cp`: a host path packed as the tar stream the runtime's `copyTo` extracts, and
 * a `copyFrom` tar unpacked onto the host, both with `docker cp`'s naming rules (a copy into an
 * existing directory lands inside it; into a missing path takes that path's name; `SRC/.` copies a
 * directory's contents). Modes and times are kept; owners only when asked (`-a`): otherwise they
 * are root's in a container and the invoking user's on the host, as docker cp documents.
 */
import { createReadStream } from "node:fs";
import {
  chmod,
  lchown,
  link,
  lstat,
  mkdir,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
} from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import tar from "tar-stream";
import { BerthError } from "../errors.js";
import { feed } from "../runtime/backpressure.js";

export class CopyError extends BerthError {
  override readonly code: string = "COPY_ERROR";
}

export interface PackOptions {
  /** Follow a symlink named as the source instead of copying the link (`-L`). */
  readonly followLink?: boolean;
  /** Keep the files' uid/gid (`-a`); otherwise 0/0. */
  readonly keepOwners?: boolean;
}

/** What a path is, on either side: enough for docker cp's rules. */
export interface PathKind {
  readonly exists: boolean;
  readonly isDir: boolean;
}

/** `dir/.`: the directory's contents rather than the directory. */
export function meansContents(p: string): boolean {
  return p === "." || p.endsWith("/.");
}

/**
 * Where a copy lands: the directory to extract into and the name the source's top entry takes
 * there (undefined: the contents go straight in). Docker's `CopyInfoDestinationPath` rules.
 */
export function destinationOf(
  src: { readonly path: string; readonly isDir: boolean },
  dst: { readonly path: string } & PathKind,
): { readonly dir: string; readonly name: string | undefined } {
  const base = path.posix.basename(path.posix.normalize(src.path));
  if (dst.exists && dst.isDir)
    return { dir: dst.path, name: src.isDir && meansContents(src.path) ? undefined : base };
  if (dst.exists && src.isDir) throw new CopyError(`cannot copy a directory to a file: ${dst.path}`);
  if (!dst.exists && !src.isDir && /\/\.?$/.test(dst.path))
    throw new CopyError(`no such directory: ${dst.path}`);
  const normal = path.posix.normalize(dst.path).replace(/\/+$/, "") || "/";
  return { dir: path.posix.dirname(normal), name: path.posix.basename(normal) };
}

export async function hostPathKind(p: string): Promise<PathKind> {
  try {
    return { exists: true, isDir: (await stat(p)).isDirectory() };
  } catch (error) {
    if (isMissing(error)) return { exists: false, isDir: false };
    throw error;
  }
}

/** Packs host path `src` under the name `name` (its contents at the top when `name` is undefined). */
export function packHostPath(src: string, name: string | undefined, options: PackOptions = {}): Readable {
  const pack = tar.pack();
  const add = async (abs: string, entryName: string | undefined, top: boolean): Promise<void> => {
    const info = top && options.followLink === true ? await stat(abs) : await lstat(abs);
    const header = {
      name: entryName ?? ".",
      mode: info.mode & 0o7777,
      mtime: info.mtime,
      uid: options.keepOwners === true ? info.uid : 0,
      gid: options.keepOwners === true ? info.gid : 0,
    };
    if (info.isDirectory()) {
      if (entryName !== undefined) await entry(pack, { ...header, type: "directory" });
      for (const child of (await readdir(abs)).sort())
        await add(path.join(abs, child), entryName === undefined ? child : `${entryName}/${child}`, false);
    } else if (info.isSymbolicLink()) {
      await entry(pack, { ...header, type: "symlink", linkname: await readlink(abs) });
    } else if (info.isFile()) {
      const sink = pack.entry({ ...header, type: "file", size: info.size });
      // The header announced the size: read no more, whatever the file does meanwhile.
      if (info.size > 0) await pipeline(createReadStream(abs, { start: 0, end: info.size - 1 }), sink);
      else sink.end(undefined);
    }
    // Sockets, FIFOs and devices are left out, as docker cp's archive leaves them.
  };
  add(src, name, true).then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & Pick<tar.Header, "name">): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

/** The first entry of a `copyFrom` archive: the source's own kind (and link target). */
export async function firstHeader(archive: Readable): Promise<tar.Header | undefined> {
  const extract = tar.extract();
  feed(archive, extract);
  try {
    for await (const e of extract) {
      e.resume();
      return e.header;
    }
    return undefined;
  } finally {
    archive.destroy();
    extract.destroy();
  }
}

/**
 * Unpacks a `copyFrom` archive into host directory `dir`, its top entry renamed to `name` (or
 * dropped, its contents going straight in, when `name` is undefined). Entries that would land
 * outside `dir` are refused.
 */
export async function unpackToHost(
  archive: Readable,
  dir: string,
  name: string | undefined,
  options: { readonly keepOwners?: boolean } = {},
): Promise<void> {
  const root = path.resolve(dir);
  const extract = tar.extract();
  feed(archive, extract);
  const dirTimes: { target: string; mtime: Date }[] = [];
  for await (const e of extract) {
    const h = e.header;
    const parts = h.name.split("/").filter((p) => p !== "" && p !== ".");
    const rest = parts.slice(1);
    if (name === undefined && rest.length === 0) {
      e.resume();
      continue; // the top directory itself: only its contents are copied
    }
    const target = path.resolve(root, ...(name === undefined ? rest : [name, ...rest]));
    if (target !== root && !target.startsWith(`${root}${path.sep}`))
      throw new CopyError(`refusing to write ${h.name} outside ${root}`);
    const mode = (h.mode ?? 0o644) & 0o7777;
    if (h.type === "directory") {
      await mkdir(target, { recursive: true });
      await chmod(target, mode);
      if (h.mtime) dirTimes.push({ target, mtime: h.mtime });
      e.resume();
    } else if (h.type === "symlink") {
      await rm(target, { force: true });
      await symlink(h.linkname ?? "", target);
      e.resume();
    } else if (h.type === "link") {
      const linkParts = (h.linkname ?? "")
        .split("/")
        .filter((p) => p !== "" && p !== ".")
        .slice(1);
      await rm(target, { force: true });
      await link(path.resolve(root, ...(name === undefined ? linkParts : [name, ...linkParts])), target);
      e.resume();
    } else if (h.type === "file" || h.type === "contiguous-file") {
      await rm(target, { force: true });
      await pipeline(e, createWriteStream(target, { mode }));
      await chmod(target, mode);
      if (h.mtime) await utimes(target, h.mtime, h.mtime);
    } else {
      e.resume(); // devices and FIFOs: not recreated on the host
      continue;
    }
    if (options.keepOwners === true) await lchown(target, h.uid ?? 0, h.gid ?? 0);
  }
  // Directory times last: writing their entries changed them.
  for (const { target, mtime } of dirTimes.reverse()) await utimes(target, mtime, mtime);
}

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}
