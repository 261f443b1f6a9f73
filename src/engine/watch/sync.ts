/**
 * A sync: changed host files copied into every running container of a service through the
 * runtime's copy (a tar extracted at `/`), and paths deleted on the host removed in the container
 * with `rm -rf`, as docker compose's tar syncer (`internal/sync/tar.go`) does it. No bind mount.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import type { ContainerSummary, Runtime } from "../../runtime/runtime.js";
import { containersFilter } from "../labels.js";
import { EngineError } from "../errors.js";
import type { PathMapping } from "./rules.js";
import { errnoCode } from "../../errno.js";

/** Files smaller than this are read whole before their header is written (Compose's 5 MB), so a file written meanwhile cannot make the header lie. */
const BUFFERED_BYTES = 5_000_000;

/** One tar entry: a host path and the name it takes in the archive (relative to `/`). */
export interface ArchiveEntry {
  readonly hostPath: string;
  readonly name: string;
}

/** The running containers of a service (one-offs left out), which a sync or restart acts on. */
export function serviceContainers(
  runtime: Runtime,
  project: string,
  service: string,
): Promise<ContainerSummary[]> {
  return runtime.containers.list({ labels: containersFilter(project, { service, oneOff: "exclude" }) });
}

/** Host paths that still exist are copied; the container paths of those gone are deleted. */
export async function splitChanges(
  mappings: readonly PathMapping[],
): Promise<{ readonly copy: PathMapping[]; readonly remove: string[] }> {
  const copy: PathMapping[] = [];
  const remove: string[] = [];
  for (const mapping of mappings) {
    if (await exists(mapping.hostPath)) copy.push(mapping);
    else if (mapping.containerPath !== "") remove.push(mapping.containerPath);
  }
  return { copy, remove };
}

/**
 * The archive's entries: each path (a directory with everything under it), named after its
 * container path; a name seen twice keeps its last source, as Compose dedupes ("last one wins").
 */
export async function archiveEntries(mappings: readonly PathMapping[]): Promise<ArchiveEntry[]> {
  const byName = new Map<string, ArchiveEntry>();
  const walk = async (hostPath: string, name: string): Promise<void> => {
    let info;
    try {
      info = await lstat(hostPath);
    } catch (error) {
      if (isMissing(error)) return; // gone since the change was seen
      throw error;
    }
    byName.delete(name);
    byName.set(name, { hostPath, name });
    if (!info.isDirectory()) return;
    for (const child of (await readdir(hostPath)).sort()) {
      await walk(path.join(hostPath, child), `${name}/${child}`);
    }
  };
  for (const mapping of mappings) {
    const name = mapping.containerPath.replace(/^\/+/, "").replace(/\/+$/, "");
    if (name !== "") await walk(mapping.hostPath, name);
  }
  return [...byName.values()];
}

/** A tar of the entries, with the files' modes, times and owners; sockets and devices left out. */
export function packEntries(entries: readonly ArchiveEntry[]): Readable {
  const pack = tar.pack();
  const write = async (): Promise<void> => {
    for (const { hostPath, name } of entries) {
      let info;
      try {
        info = await lstat(hostPath);
      } catch (error) {
        if (isMissing(error)) continue;
        throw error;
      }
      const header = { name, mode: info.mode & 0o7777, mtime: info.mtime, uid: info.uid, gid: info.gid };
      if (info.isDirectory()) {
        await entry(pack, { ...header, type: "directory" });
      } else if (info.isSymbolicLink()) {
        await entry(pack, { ...header, type: "symlink", linkname: await readlink(hostPath) });
      } else if (info.isFile()) {
        if (info.size < BUFFERED_BYTES) {
          let content: Buffer;
          try {
            content = await readFile(hostPath);
          } catch (error) {
            if (isMissing(error)) continue;
            throw error;
          }
          await entry(pack, { ...header, type: "file", size: content.length }, content);
        } else {
          const sink = pack.entry({ ...header, type: "file", size: info.size });
          await pipeline(createReadStream(hostPath, { start: 0, end: info.size - 1 }), sink);
        }
      }
    }
  };
  write().then(
    () => pack.finalize(),
    (error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return Readable.from(pack);
}

/**
 * Syncs the mappings into every running container of the service: deletions first (`rm -rf`),
 * then one archive extracted at `/`, its files owned by the container's user when it has one
 * (Compose copies with `CopyUIDGID`). Every container is tried; the errors are reported together.
 */
export async function syncService(
  runtime: Runtime,
  project: string,
  service: string,
  mappings: readonly PathMapping[],
): Promise<void> {
  const containers = await serviceContainers(runtime, project, service);
  const { copy, remove } = await splitChanges(mappings);
  const entries = await archiveEntries(copy);
  const errors: string[] = [];
  await Promise.all(
    containers.map(async (container) => {
      if (remove.length > 0) {
        try {
          await execChecked(runtime, container.id, ["rm", "-rf", ...remove]);
        } catch (error) {
          errors.push(`deleting paths in ${container.name}: ${message(error)}`);
        }
      }
      if (entries.length === 0) return;
      try {
        await runtime.containers.copyTo(container.id, "/", packEntries(entries), { ownedByUser: true });
      } catch (error) {
        errors.push(`copying files to ${container.name}: ${message(error)}`);
      }
    }),
  );
  if (errors.length > 0) throw new EngineError(errors.join("; "), { service });
}

/** Runs a command in the container; rejects with its stderr when it exits non-zero. */
export async function execChecked(runtime: Runtime, id: string, command: readonly string[]): Promise<void> {
  const session = await runtime.containers.exec(id, { command, tty: false, stdin: false });
  let output = "";
  for await (const chunk of session.output) {
    if (output.length < 4096) output += Buffer.from(chunk.data).toString("utf8");
  }
  const code = await session.exitCode();
  if (code !== 0) throw new Error(`exit code ${code}${output.trim() === "" ? "" : `: ${output.trim()}`}`);
}

function entry(
  pack: tar.Pack,
  header: Partial<tar.Header> & Pick<tar.Header, "name">,
  content?: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (content === undefined) pack.entry(header, done);
    else pack.entry(header, content, done);
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = errnoCode(error);
  return code === "ENOENT" || code === "ENOTDIR";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
