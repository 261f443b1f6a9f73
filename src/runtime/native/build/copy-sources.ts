/**
 * COPY/ADD sources found as the classic builder finds them (moby builder/dockerfile/copy.go
 * calcCopyInfo) in a source root on the host (the extracted context, an image's merged view, or a
 * download's directory): leading `/` and `./` dropped; a path with wildcards matched with Go's
 * filepath.Match against every path of the root, each match a source of its own; a path resolved
 * with its symlinks followed inside the root (its last one too: `COPY link x` copies the target's
 * content under the link's name). Each source gets the content hash the build cache keys COPY on:
 * `file:<sha256>` or `dir:<sha256>` (names, types, modes, owners, link targets and contents; not
 * times, as Docker's tarsum leaves them out).
 */
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { chunkBytes } from "../../../bytes.js";
import { errnoCode } from "../../../errno.js";
import { NotFoundError } from "../../errors.js";
import { resolveInScope } from "../oci/scoped-path.js";
import { containsWildcards, goMatch } from "./go-match.js";

export interface CopySource {
  /** The host directory the source was found in. */
  readonly root: string;
  /** The path as matched (relative to the root): its base name names a copied file. */
  readonly rel: string;
  /** The resolved path, absolute inside the root (`/a/b`). */
  readonly resolved: string;
  readonly stat: Stats;
  readonly hash: string;
  /** A download: never unpacked by ADD. */
  readonly noDecompress?: boolean | undefined;
}

export interface SourceOptions {
  /** How a missing path is worded (the context's message differs from an image's). */
  readonly missing: (rel: string) => string;
  readonly signal?: AbortSignal | undefined;
}

const host = (root: string, p: string): string => path.join(root, p);

/** The entry's lstat, or undefined where nothing is (a missing path, or one under a file). */
export async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

function typeOf(stat: Stats): string {
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "dir";
  if (stat.isSymbolicLink()) return "symlink";
  if (stat.isFIFO()) return "fifo";
  if (stat.isCharacterDevice()) return "char";
  if (stat.isBlockDevice()) return "block";
  return "other";
}

/** One entry's hash: its header fields and, for a file, its bytes. */
async function entryHash(file: string, name: string, stat: Stats): Promise<string> {
  const hash = createHash("sha256");
  const link = stat.isSymbolicLink() ? await readlink(file) : "";
  hash.update(
    JSON.stringify([
      name,
      typeOf(stat),
      stat.mode & 0o7777,
      stat.uid,
      stat.gid,
      stat.isFile() ? stat.size : 0,
      link,
      stat.rdev,
    ]),
  );
  if (stat.isFile()) for await (const chunk of createReadStream(file)) hash.update(chunkBytes(chunk));
  return hash.digest("hex");
}

/** Every path under `dir` (relative to `root`), lexically per directory, links not followed. */
async function* walk(
  root: string,
  dir: string,
  signal?: AbortSignal,
): AsyncIterable<{ rel: string; stat: Stats }> {
  const names = (await readdir(host(root, dir))).sort();
  for (const name of names) {
    signal?.throwIfAborted();
    const rel = dir === "" ? name : `${dir}/${name}`;
    const stat = await lstat(host(root, rel));
    yield { rel, stat };
    if (stat.isDirectory()) yield* walk(root, rel, signal);
  }
}

/** hashStringSlice: `prefix:` and the sha256 of the items joined with commas. */
export function hashStrings(prefix: string, items: readonly string[]): string {
  return `${prefix}:${createHash("sha256").update(items.join(",")).digest("hex")}`;
}

/** The cache's hash of several sources (one source keeps its own). */
export function sourcesHash(sources: readonly CopySource[]): string {
  return sources.length === 1
    ? sources[0]!.hash
    : hashStrings(
        "multi",
        sources.map((s) => s.hash),
      );
}

async function one(root: string, rel: string, options: SourceOptions): Promise<CopySource> {
  const resolved = await resolveInScope(rel, (p) => host(root, p));
  const stat = await lstatOrUndefined(host(root, resolved));
  if (stat === undefined || stat.isSymbolicLink()) throw new NotFoundError(options.missing(rel));
  if (!stat.isDirectory())
    return { root, rel, resolved, stat, hash: `file:${await entryHash(host(root, resolved), rel, stat)}` };
  const subs: string[] = [];
  const base = resolved.slice(1);
  for await (const item of walk(root, base, options.signal))
    subs.push(
      await entryHash(host(root, item.rel), item.rel.slice(base.length).replace(/^\//, ""), item.stat),
    );
  return { root, rel, resolved, stat, hash: hashStrings("dir", subs.sort()) };
}

/** The sources `patterns` name in `root`, in order; a wildcard matching nothing adds none. */
export async function findSources(
  root: string,
  patterns: readonly string[],
  options: SourceOptions,
): Promise<CopySource[]> {
  const found: CopySource[] = [];
  for (const raw of patterns) {
    const pattern = raw.replace(/^\/+/, "").replace(/^\.\//, "");
    if (!containsWildcards(pattern)) {
      found.push(await one(root, pattern === "" ? "." : pattern, options));
      continue;
    }
    for await (const item of walk(root, "", options.signal))
      if (goMatch(pattern, item.rel)) found.push(await one(root, item.rel, options));
  }
  return found;
}
