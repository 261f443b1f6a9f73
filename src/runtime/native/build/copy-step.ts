/**
 * COPY and ADD as steps: the flags (`--from`, `--chown`, `--chmod`, `--link`), the sources found
 * in the context, a stage's or an image's filesystem, or downloaded (copy-sources.ts,
 * download.ts), the history text dockerd writes (`COPY --chown=1:1file:<hash> in /dest `, which is
 * also what the build cache compares), and the writes into the image (copy-apply.ts), done only
 * when the cache has no such step.
 */
import path from "node:path";
import { InvalidRequestError, NotFoundError } from "../../errors.js";
import { readFileInRoot } from "../oci/scoped-path.js";
import { parseChmod, resolveChown } from "./chown.js";
import { applyCopy, type CopyOptions } from "./copy-apply.js";
import { findSources, sourcesHash, type CopySource } from "./copy-sources.js";
import type { WordContext } from "./config-steps.js";
import type { Instruction } from "./dockerfile.js";
import { download, isUrl } from "./download.js";
import type { Mounted, Scratch } from "./scratch.js";
import { expandWord, expandWords } from "./shell-words.js";

export interface CopyContext {
  readonly scratch: Scratch;
  /** The extracted build context (made on first use). */
  readonly contextRoot: () => Promise<string>;
  /** The layer dirs of what `--from` names: a stage (built on demand) or an image. */
  readonly fromLayers: (ref: string) => Promise<readonly string[]>;
  readonly signal?: AbortSignal | undefined;
}

export interface PreparedCopy {
  /** The history's created_by. */
  readonly createdBy: string;
  /** Writes the sources into the image mounted at `root`. */
  apply(root: string): Promise<void>;
  /** Unmounts a `--from` view. */
  release(): Promise<void>;
}

const FLAGS: Readonly<Record<string, ReadonlySet<string>>> = {
  COPY: new Set(["from", "chown", "chmod", "link"]),
  ADD: new Set(["chown", "chmod", "link"]),
};

export async function prepareCopy(
  ctx: CopyContext,
  ins: Instruction,
  words: WordContext,
  workingDir: string,
  shell: readonly string[],
): Promise<PreparedCopy> {
  const cmd = ins.keyword;
  for (const f of ins.flags)
    if (!FLAGS[cmd]!.has(f.name)) throw new InvalidRequestError(`line ${ins.line}: Unknown flag: ${f.name}`);
  const flag = (name: string): string | undefined => {
    const value = ins.flags.findLast((f) => f.name === name)?.value;
    return value === undefined ? undefined : expandWord(value, words.lookup, words.escape);
  };
  const args =
    ins.json?.map((w) => expandWord(w, words.lookup, words.escape)) ??
    expandWords(ins.args, words.lookup, words.escape);
  if (args.length < 2)
    throw new InvalidRequestError(`line ${ins.line}: ${cmd} requires at least two arguments`);
  const rawDest = args.at(-1)!;
  const dest = rawDest.startsWith("/")
    ? rawDest
    : `${path.posix.join("/", workingDir || "/", rawDest)}${rawDest.endsWith("/") ? "/" : ""}`;
  const chown = flag("chown");
  const chmodText = flag("chmod");
  const chmod = chmodText === undefined ? undefined : parseChmod(chmodText);
  const from = flag("from");
  let view: Mounted | undefined;
  const fail = (err: unknown): never => {
    if (err instanceof NotFoundError) throw new NotFoundError(`${cmd} failed: ${err.message}`);
    throw err;
  };
  const sources: CopySource[] = [];
  try {
    if (from !== undefined) {
      view = await ctx.scratch.mount(await ctx.fromLayers(from), false);
      sources.push(
        ...(await findSources(view.root, args.slice(0, -1), {
          missing: (rel) => `stat /${rel}: file does not exist`,
          signal: ctx.signal,
        }).catch(fail)),
      );
    } else {
      for (const source of args.slice(0, -1)) {
        if (isUrl(source)) {
          if (cmd === "COPY") throw new InvalidRequestError(`${cmd} failed: source can't be a URL for COPY`);
          const got = await download(source, await ctx.scratch.dir("download"), ctx.signal).catch(fail);
          if (!got.named && rawDest.endsWith("/"))
            throw new InvalidRequestError(`${cmd} failed: cannot determine filename for source ${source}`);
          const [one] = await findSources(got.dir, [got.name], { missing: (rel) => rel });
          sources.push({ ...one!, noDecompress: true });
          continue;
        }
        sources.push(
          ...(await findSources(await ctx.contextRoot(), [source], {
            missing: (rel) =>
              `file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`,
            signal: ctx.signal,
          }).catch(fail)),
        );
      }
    }
    if (sources.length === 0) throw new NotFoundError(`${cmd} failed: no source files were specified`);
    if (sources.length > 1 && !rawDest.endsWith("/"))
      throw new InvalidRequestError(
        `When using ${cmd} with more than one source file, the destination must be a directory and end with a /`,
      );
  } catch (err) {
    await view?.unmount();
    throw err;
  }
  const flagsText = `${chown === undefined ? "" : `--chown=${chown}`}${chmod === undefined ? "" : `--chmod=${chmodText} `}`;
  const createdBy = `${shell.join(" ")} #(nop) ${cmd} ${flagsText}${sourcesHash(sources)} in ${rawDest} `;
  return {
    createdBy,
    async apply(root) {
      const identity =
        chown === undefined
          ? undefined
          : resolveChown(
              chown,
              await readFileInRoot(root, "/etc/passwd"),
              await readFileInRoot(root, "/etc/group"),
            );
      const options: CopyOptions = {
        identity,
        preserveOwners: from !== undefined,
        chmod,
        decompress: cmd === "ADD",
        signal: ctx.signal,
      };
      for (const source of sources) await applyCopy(root, dest, source, options);
    },
    async release() {
      await view?.unmount();
    },
  };
}
