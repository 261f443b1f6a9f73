/**
 * The build context as a tar stream, the way `docker build` sends it: `.dockerignore` applied
 * with Docker's own matching rules, symlinks sent as links (never followed, so nothing outside
 * the context leaks in), owners zeroed, entries in a stable order. The Dockerfile and
 * `.dockerignore` are always sent, even when ignored, because the engine needs them.
 */
import dockerignore from "@balena/dockerignore";
import { randomBytes } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { pack as tarPack, type Pack } from "tar-stream";
import { InvalidRequestError } from "../errors.js";
import { fileEntry, type HeaderArg } from "../tar-file-entry.js";

/**
 * The Dockerfile the build names: its path relative to the context, in tar (posix) form, when it
 * is a file of the context; otherwise (`dockerfile_inline`, or a path outside the context, which
 * Compose allows) its text, to be sent as an extra entry of the tar.
 */
export async function dockerfileFor(
  context: string,
  dockerfile: string | undefined,
  inline: string | undefined,
): Promise<{ readonly name: string; readonly extra?: ExtraDockerfile }> {
  if (inline !== undefined) {
    const extra = extraDockerfile(inline);
    return { name: extra.name, extra };
  }
  const path = resolve(context, dockerfile ?? "Dockerfile");
  const rel = relative(context, path);
  if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return { name: rel.split(sep).join("/") };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidRequestError(`cannot read the Dockerfile ${path}: ${reason}`, { cause: err });
  }
  const extra = extraDockerfile(text);
  return { name: extra.name, extra };
}

/**
 * A Dockerfile that is not a file of the context (`dockerfile_inline`, or a path outside the
 * context): sent inside the tar under a random name, the way `docker build -f -` sends one
 * (docker/cli `AddDockerfileToBuildContext`), and named in `.dockerignore` so the engine drops it
 * from the context before any `COPY . …` sees it.
 */
export interface ExtraDockerfile {
  /** `.dockerfile.<random hex>`: what the build's `dockerfile` parameter names. */
  readonly name: string;
  readonly content: string;
}

export function extraDockerfile(content: string): ExtraDockerfile {
  return { name: `.dockerfile.${randomBytes(10).toString("hex")}`, content };
}

/** Streams the tar of `context`; errors reading it end the stream with InvalidRequestError. */
export async function* contextTar(
  context: string,
  dockerfile: string,
  extra?: ExtraDockerfile,
): AsyncIterable<Uint8Array> {
  const matcher = await loadIgnore(context);
  const pack = tarPack();
  const keep = new Set([dockerfile, ".dockerignore"]);
  const written = (async () => {
    if (!extra) return addTree(pack, context, matcher, keep);
    // The context's own .dockerignore is rewritten below, with the extra Dockerfile's name added.
    await addTree(pack, context, matcher, keep, ".dockerignore");
    const ignore = await readIgnoreText(context);
    const now = new Date();
    const text = `${ignore ?? ".dockerignore"}\n${extra.name}\n`;
    await entry(pack, { name: ".dockerignore", type: "file", mode: 0o600, mtime: now, uid: 0, gid: 0 }, text);
    await entry(
      pack,
      { name: extra.name, type: "file", mode: 0o600, mtime: now, uid: 0, gid: 0 },
      extra.content,
    );
  })();
  // The files are written while the tar is read; a failure destroys the tar, ending the read.
  void written.then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(asContextError(context, err)),
  );
  try {
    for await (const chunk of pack) yield chunk as Uint8Array;
  } finally {
    // The consumer stopped early (the request failed): stop reading files too.
    if (!pack.destroyed) pack.destroy();
  }
}

interface Matcher {
  ignores(path: string): boolean;
  /** Whether a `!pattern` could bring back something under an ignored directory. */
  readonly hasExceptions: boolean;
}

/** The context's `.dockerignore`, or undefined when it has none. */
async function readIgnoreText(context: string): Promise<string | undefined> {
  try {
    return await readFile(join(context, ".dockerignore"), "utf8");
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw asContextError(context, err);
  }
}

async function loadIgnore(context: string): Promise<Matcher> {
  const text = await readIgnoreText(context);
  if (text === undefined) return { ignores: () => false, hasExceptions: false };
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    // Docker reads patterns relative to the context root, with or without a leading slash.
    .map((line) => (line.startsWith("!") ? `!${stripRoot(line.slice(1).trim())}` : stripRoot(line)))
    .filter((line) => line !== "" && line !== "!");
  const ig = dockerignore.default({}).add(patterns);
  return { ignores: (path) => ig.ignores(path), hasExceptions: patterns.some((p) => p.startsWith("!")) };
}

function stripRoot(pattern: string): string {
  return pattern.replace(/^\/+/, "");
}

async function addTree(
  pack: Pack,
  root: string,
  matcher: Matcher,
  keep: ReadonlySet<string>,
  skip?: string,
): Promise<void> {
  const keepsUnder = (dir: string): boolean => [...keep].some((k) => k.startsWith(`${dir}/`));

  async function walk(dir: string): Promise<void> {
    const names = (await readdir(dir === "" ? root : join(root, dir))).sort();
    for (const name of names) {
      if (pack.destroyed) return;
      const rel = dir === "" ? name : `${dir}/${name}`;
      if (rel === skip) continue;
      const abs = join(root, rel);
      const stat = await lstat(abs);
      const ignored = !keep.has(rel) && matcher.ignores(rel);
      const base: HeaderArg = { name: rel, mode: stat.mode & 0o7777, mtime: stat.mtime, uid: 0, gid: 0 };
      if (stat.isDirectory()) {
        if (!ignored) await entry(pack, { ...base, type: "directory" });
        // An ignored directory is skipped unless an exception or a kept file may lie inside.
        if (!ignored || matcher.hasExceptions || keepsUnder(rel)) await walk(rel);
      } else if (ignored) {
        continue;
      } else if (stat.isSymbolicLink()) {
        await entry(pack, { ...base, type: "symlink", linkname: await readlink(abs) });
      } else if (stat.isFile()) {
        await fileEntry(pack, { ...base, type: "file", size: stat.size }, abs);
      }
      // Sockets, FIFOs and devices cannot be part of a build context; Docker skips them too.
    }
  }
  await walk("");
}

function entry(pack: Pack, header: HeaderArg, content?: string): Promise<void> {
  return new Promise((resolveEntry, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolveEntry());
    if (content === undefined) pack.entry(header, done);
    else pack.entry(header, Buffer.from(content, "utf8"), done);
  });
}

function isMissing(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && err.code === "ENOENT";
}

function asContextError(context: string, err: unknown): Error {
  if (err instanceof InvalidRequestError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new InvalidRequestError(`cannot read the build context ${context}: ${reason}`, { cause: err });
}
