/**
 * `berth cp`: files and directories between a service container and the host, both directions,
 * as `docker compose cp` copies them (through the runtime's tar-stream copy, so any backend serves):
 * `SERVICE:SRC DEST|-` takes from the first (or `--index`) container; `SRC|- SERVICE:DEST` writes
 * into every container of the service (one-offs too with `--all`), or the `--index` one.
 * `-` is a tar stream on stdout or stdin, as docker cp has it.
 */
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  CopyError,
  destinationOf,
  firstHeader,
  hostPathKind,
  meansContents,
  packHostPath,
  type PathKind,
  unpackToHost,
} from "../../engine/copy-archive.js";
import { EngineError } from "../../engine/errors.js";
import { serviceContainer, serviceContainers } from "../../engine/service-containers.js";
import { UsageError } from "../../errors.js";
import { NotFoundError } from "../../runtime/errors.js";
import type { ContainerSummary, Runtime } from "../../runtime/runtime.js";
import type { GlobalOptions } from "../global-options.js";
import type { CpFlags } from "../options/flags.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { parseIndex } from "./index-flag.js";

interface Side {
  readonly service: string | undefined;
  readonly path: string;
}

/** `SERVICE:PATH` names a container path; a path with a `/` before any `:` is a host path (as docker's `splitCpArg`). */
function side(arg: string): Side {
  if (arg === "-" || path.isAbsolute(arg) || arg.startsWith(".")) return { service: undefined, path: arg };
  const colon = arg.indexOf(":");
  const slash = arg.indexOf("/");
  if (colon <= 0 || (slash >= 0 && slash < colon)) return { service: undefined, path: arg };
  return { service: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export async function runCp(globals: GlobalOptions, operands: string[], flags: CpFlags): Promise<number> {
  if (operands.length !== 2) throw new UsageError(`"cp" requires exactly 2 arguments`);
  const [source = "", destination = ""] = operands;
  if (source === "") throw new UsageError("source can not be empty");
  if (destination === "") throw new UsageError("destination can not be empty");
  const src = side(source);
  const dst = side(destination);
  if (src.service !== undefined && dst.service !== undefined)
    throw new UsageError("copying between services is not supported");
  if (src.service === undefined && dst.service === undefined) throw new UsageError("unknown copy direction");
  const index = parseIndex(flags.index);
  const options = { followLink: flags.followLink === true, keepOwners: flags.archive === true };
  const service = src.service ?? dst.service ?? "";
  const target = await loadOrName(globals, [service]);
  await withRuntime({ ...globals, project: target.name }, async (runtime) => {
    const oneOff = flags.all === true ? "include" : "exclude";
    if (src.service !== undefined) {
      const container = await serviceContainer(runtime, target.name, service, { all: true, oneOff, index });
      await copyFromContainer({ runtime, container, srcPath: src.path, dstPath: dst.path, options });
      return;
    }
    const containers =
      index !== undefined && index > 0
        ? [await serviceContainer(runtime, target.name, service, { all: true, oneOff: "exclude", index })]
        : await serviceContainers(runtime, target.name, [service], { all: true, oneOff });
    if (containers.length === 0)
      throw new EngineError(`no container found for service "${service}"`, { service });
    // Standard input can be read once: it goes to the first container only when there are several.
    for (const c of src.path === "-" ? containers.slice(0, 1) : containers)
      await copyToContainer({ runtime, container: c, srcPath: src.path, dstPath: dst.path, options });
  });
  return 0;
}

/** One copy between the host and one container. */
interface Copy {
  readonly runtime: Runtime;
  readonly container: ContainerSummary;
  readonly srcPath: string;
  readonly dstPath: string;
  readonly options: { readonly followLink: boolean; readonly keepOwners: boolean };
}

async function copyFromContainer({ runtime, container, srcPath, dstPath, options }: Copy): Promise<void> {
  // `dir/.` is read as `dir`, whose top entry unpack then drops.
  let from = meansContents(srcPath) ? path.posix.dirname(`${srcPath}x`) : srcPath;
  let head = await firstHeader(await archiveOf(runtime, container, from, srcPath));
  if (head === undefined)
    throw new CopyError(`could not find the file ${srcPath} in container ${container.name}`);
  // -L: the link's target is copied, under the link's name.
  if (options.followLink && head.type === "symlink" && head.linkname) {
    from = path.posix.resolve(path.posix.dirname(srcPath), head.linkname);
    head = await firstHeader(await archiveOf(runtime, container, from, srcPath));
    if (head === undefined)
      throw new CopyError(`could not find the file ${from} in container ${container.name}`);
  }
  if (dstPath === "-") {
    try {
      await pipeline(await archiveOf(runtime, container, from, srcPath), process.stdout);
    } catch (error) {
      // A reader that stops early (`| head`) is not a failed copy.
      if (!(error instanceof Error && "code" in error && error.code === "EPIPE")) throw error;
    }
    return;
  }
  const isDir = head.type === "directory";
  const where = destinationOf({ path: srcPath, isDir }, { path: dstPath, ...(await hostPathKind(dstPath)) });
  // The archive's top entry is named after `from`; unpack renames it to where it lands.
  const name = where.name ?? (isDir && meansContents(srcPath) ? undefined : path.posix.basename(srcPath));
  await unpackToHost(await archiveOf(runtime, container, from, srcPath), where.dir, name, options);
}

async function copyToContainer({ runtime, container, srcPath, dstPath, options }: Copy): Promise<void> {
  if (srcPath === "-") {
    // A tar from stdin goes into an existing directory, as docker cp requires.
    const kind = await containerPathKind(runtime, container, dstPath);
    if (!kind.isDir) throw new CopyError(`destination "${container.name}:${dstPath}" must be a directory`);
    await runtime.containers.copyTo(container.id, dstPath, process.stdin);
    return;
  }
  const srcKind = await hostPathKind(srcPath);
  if (!srcKind.exists) throw new CopyError(`could not find the file ${srcPath}`);
  const dstKind = await containerPathKind(runtime, container, dstPath);
  const where = destinationOf({ path: srcPath, isDir: srcKind.isDir }, { path: dstPath, ...dstKind });
  await runtime.containers.copyTo(container.id, where.dir, packHostPath(srcPath, where.name, options));
}

/**
 * Whether `p` exists in the container and is a directory, read from the head of its archive. A
 * symlink counts as what it points to (docker cp resolves a destination link), a few hops at most.
 */
async function containerPathKind(
  runtime: Runtime,
  container: ContainerSummary,
  p: string,
): Promise<PathKind> {
  let current = p;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    let head: Awaited<ReturnType<typeof firstHeader>>;
    try {
      head = await firstHeader(await runtime.containers.copyFrom(container.id, current));
    } catch (error) {
      if (error instanceof NotFoundError) return { exists: false, isDir: false };
      throw error;
    }
    if (head?.type !== "symlink" || !head.linkname)
      return { exists: head !== undefined, isDir: head?.type === "directory" };
    current = path.posix.resolve(path.posix.dirname(current), head.linkname);
  }
  throw new CopyError(`too many levels of symbolic links: ${container.name}:${p}`);
}

const MAX_LINK_HOPS = 8;

async function archiveOf(
  runtime: Runtime,
  container: ContainerSummary,
  from: string,
  asked: string,
): Promise<Readable> {
  try {
    return await runtime.containers.copyFrom(container.id, from);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new CopyError(`could not find the file ${asked} in container ${container.name}`, {
        cause: error,
      });
    throw error;
  }
}
