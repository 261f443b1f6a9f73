/**
 * Container records: `<containers>/<id>/container.json`, written atomically (temporary file +
 * rename; the first one with its directory, `createRecord`), plus where each of a container's files
 * lives. A record is `creating` until its create
 * completed, with the creator's identity, so the next command removes what a killed create left.
 *
 * The name index is a directory of files `<containers>/.names/<name>` holding the id: made with
 * link(2) from a written temporary file, so claiming a name is one atomic step (the filesystem is the
 * lock) and two creates of one name cannot both succeed.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createExclusive } from "../../../file-lock.js";
import type { ContainerSpec, Labels } from "../../runtime.js";
import type { NativePaths } from "../paths.js";
import type { ImageRunConfig, ResolvedUser } from "./deps.js";
import { type ProcessIdentity, self, stillRuns } from "./lock.js";
import { isRecord } from "../../../json-shape.js";

export interface ContainerRun {
  /** The container's init as the host sees it. */
  readonly pid: number;
  readonly pidStart: string | undefined;
  readonly monitorPid: number | undefined;
  readonly monitorStart: string | undefined;
  /** `runc start` returned (until then the init waits, named `runc:[2:INIT]`, to exec the process). */
  readonly started?: boolean | undefined;
}

export interface ContainerRecord {
  readonly version: 1;
  readonly id: string;
  readonly name: string;
  readonly state: "creating" | "created" | "removing";
  /** Who is making (or removing) it, while `state` is not `created`. */
  readonly owner?: ProcessIdentity | undefined;
  readonly spec: ContainerSpec;
  /** The image reference as given. */
  readonly image: string;
  readonly imageId: string;
  readonly imageConfig: ImageRunConfig;
  readonly layerDirs: readonly string[];
  readonly labels: Labels;
  readonly hostname: string;
  /** The network namespace runc joins (../network's, or another container's); none: runc makes one. */
  readonly netnsPath?: string | undefined;
  readonly user: ResolvedUser;
  readonly created: string;
  readonly startedAt?: string | undefined;
  readonly finishedAt?: string | undefined;
  readonly exitCode?: number | undefined;
  readonly oomKilled: boolean;
  readonly restartCount: number;
  /** The current (or last) run; cleared once its exit has been collected. */
  readonly run?: ContainerRun | undefined;
  readonly paused?: boolean | undefined;
  /** Stopped by a user (stop, kill): `unless-stopped` does not bring it back. */
  readonly stoppedByUser?: boolean | undefined;
  readonly error?: string | undefined;
}

/** Where a container's files are. */
export interface ContainerLayout {
  /** `<containers>/<id>`: record, writable layer, rootfs mount point, log. */
  readonly dir: string;
  readonly record: string;
  readonly upper: string;
  readonly work: string;
  readonly rootfs: string;
  readonly log: string;
  /** `<run>/containers/<id>`: the OCI bundle and what the monitor writes beside it. */
  readonly bundle: string;
  readonly config: string;
  readonly hosts: string;
  readonly resolv: string;
  readonly hostname: string;
  readonly pidFile: string;
  readonly monitorPidFile: string;
  /** Written by the monitor (`--persist-dir`) when the kernel OOM-killed a process of the container. */
  readonly oomFile: string;
  readonly exitFile: string;
  readonly socketDir: string;
  /** The attach socket's short path (a link to the bundle, named by the short id). */
  readonly attachLink: string;
  readonly attachSocket: string;
}

export function containerLayout(paths: NativePaths, id: string): ContainerLayout {
  const dir = path.join(paths.containers, id);
  const bundle = path.join(paths.runContainers, id);
  const socketDir = path.join(paths.run, "sockets");
  const attachLink = path.join(socketDir, id.slice(0, 12));
  return {
    dir,
    record: path.join(dir, "container.json"),
    upper: path.join(dir, "upper"),
    work: path.join(dir, "work"),
    rootfs: path.join(dir, "rootfs"),
    log: path.join(dir, "container.log"),
    bundle,
    config: path.join(bundle, "config.json"),
    hosts: path.join(bundle, "hosts"),
    resolv: path.join(bundle, "resolv.conf"),
    hostname: path.join(bundle, "hostname"),
    pidFile: path.join(bundle, "pid"),
    monitorPidFile: path.join(bundle, "conmon.pid"),
    oomFile: path.join(bundle, "oom"),
    exitFile: path.join(paths.exits, id),
    socketDir,
    attachLink,
    attachSocket: path.join(attachLink, "attach"),
  };
}

/** Writes `text` to `file` so a reader sees the old or the new content, never a part. */
export function writeAtomic(file: string, text: string, mode = 0o600): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, file);
}

/**
 * Rewrites an existing container's record. It never makes the directory: a write aimed at a
 * container removed meanwhile fails (ENOENT) instead of bringing back a directory nothing removes.
 */
export function writeRecord(paths: NativePaths, record: ContainerRecord): void {
  writeAtomic(containerLayout(paths, record.id).record, `${JSON.stringify(record, null, 1)}\n`);
}

/** What a staging directory's name starts with; its creator's identity and the id follow. */
const STAGING_PREFIX = ".creating-";

/**
 * A new container's directory, with its first record in it, in one step: made under a staging
 * name and renamed into place, so no `<id>` directory is ever without a record (a create killed
 * in between leaves a staging directory, which `sweepStaging` removes once its creator is gone).
 */
export function createRecord(paths: NativePaths, record: ContainerRecord): void {
  const layout = containerLayout(paths, record.id);
  mkdirSync(paths.containers, { recursive: true, mode: 0o700 });
  const staging = path.join(
    paths.containers,
    `${STAGING_PREFIX}${self.pid}-${self.start ?? "0"}-${record.id}`,
  );
  mkdirSync(staging, { mode: 0o700 });
  try {
    writeFileSync(path.join(staging, path.basename(layout.record)), `${JSON.stringify(record, null, 1)}\n`, {
      mode: 0o600,
    });
    renameSync(staging, layout.dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The process that made a staging directory named `name`; undefined for any other name. */
export function stagingOwner(name: string): ProcessIdentity | undefined {
  const match = /^\.creating-(\d+)-(\d+)-[0-9a-f]{64}$/.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { pid: Number(match[1]), start: match[2] === "0" ? undefined : match[2] };
}

/** Removes the staging directories of creates whose process is gone (killed before the rename). */
export function sweepStaging(paths: NativePaths): void {
  let names: string[];
  try {
    names = readdirSync(paths.containers);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = stagingOwner(name);
    if (owner === undefined || stillRuns(owner)) continue;
    rmSync(path.join(paths.containers, name), { recursive: true, force: true });
  }
}

export function readRecord(paths: NativePaths, id: string): ContainerRecord | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(containerLayout(paths, id).record, "utf8"));
    return isContainerRecord(value, id) ? value : undefined;
  } catch {
    return undefined;
  }
}

export const ID_PATTERN = /^[0-9a-f]{64}$/;

/** A record as this berth writes it (version 1, for this id): anything else reads as no record. */
function isContainerRecord(value: unknown, id: string): value is ContainerRecord {
  return isRecord(value) && value.version === 1 && value.id === id && typeof value.state === "string";
}

/** Ids of every container directory (records being made included). */
export function listIds(paths: NativePaths): string[] {
  try {
    return readdirSync(paths.containers).filter((name) => ID_PATTERN.test(name));
  } catch {
    return [];
  }
}

export function newId(): string {
  return randomBytes(32).toString("hex");
}

// --- the name index ---------------------------------------------------------------------------

/** Docker's rule for container names. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function namesDir(paths: NativePaths): string {
  return path.join(paths.containers, ".names");
}

export function nameOwner(paths: NativePaths, name: string): string | undefined {
  try {
    const id = readFileSync(path.join(namesDir(paths), name), "utf8").trim();
    return ID_PATTERN.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Claims `name` for `id` in one atomic step; false when someone holds it. */
export function claimName(paths: NativePaths, name: string, id: string): boolean {
  const dir = namesDir(paths);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return createExclusive(path.join(dir, name), id);
}

/** Releases `name` if `id` holds it. */
export function releaseName(paths: NativePaths, name: string, id: string): void {
  if (nameOwner(paths, name) !== id) return;
  try {
    unlinkSync(path.join(namesDir(paths), name));
  } catch {
    // Gone already.
  }
}

/**
 * Releases every name `id` holds: its own, and one a rename killed between its claim and its
 * record's update left pointing at it (one read per claimed name; a removal's cost).
 */
export function releaseNamesOf(paths: NativePaths, id: string): void {
  let names: string[];
  try {
    names = readdirSync(namesDir(paths));
  } catch {
    return;
  }
  for (const name of names) releaseName(paths, name, id);
}
