/**
 * A container's volumes on the native runtime, as dockerd's registerMountPoints,
 * createContainerOSSpecificSettings and populateVolumes (moby v20.10 daemon/volumes.go,
 * create_unix.go) make them at create:
 * 1. the mounts of `volumes_from` containers (`:ro` makes them read-only, `:rw` keeps theirs),
 *    replaced by the container's own mount at the same target;
 * 2. the container's mounts: a named volume made on first use (as `docker run -v name:/x` does), an
 *    anonymous one made with Docker's anonymous label and the mount's labels, a bind's missing
 *    source made unless `create_host_path` is false;
 * 3. each `VOLUME` of the image that no mount or `tmpfs:` covers: an anonymous volume (refused over
 *    a file of the image, with Docker's message).
 * A volume is prepared (its driver_opts mounted at first use) with the container as its user, and
 * filled from the image's content at the target when empty, unless `nocopy`, a subpath, or inherited
 * through `volumes_from` (Docker copies none of those).
 *
 * The volumes a container uses are journaled in its directory (`volumes.json`) before each is made
 * or prepared, so a removal (or the cleanup of a create killed half-way) releases exactly those and,
 * with `rm -v`, removes its anonymous ones; the journals are also what says a volume is in use.
 */
import { readFileSync } from "node:fs";
import { lstat, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { ConflictError, InvalidRequestError, NotFoundError } from "../../errors.js";
import type { ContainerSpec, ContainerState, ListedMount, MountSpec } from "../../runtime.js";
import { resolveInRoot } from "../oci/scoped-path.js";
import type { NativePaths } from "../paths.js";
import {
  ANONYMOUS_LABEL,
  anonymousVolumeName,
  ensureBindSource,
  type VolumeStore,
} from "../volumes/index.js";
import { containerLayout, ID_PATTERN, listIds, nameOwner, readRecord, writeAtomic } from "./records.js";

export interface ContainerVolumes {
  /**
   * The spec's `type: volume` mounts (named and anonymous, and the image's VOLUMEs not covered by a
   * mount, and `volumes_from`) made, referenced and populated from the rootfs at the target unless
   * `nocopy`; bind sources created where `createHostPath`. Called by create after the rootfs is
   * mounted and before the bundle is written; returns the container's mounts with every volume
   * named (config.json binds each at `volumeSourcesOf`).
   */
  attach(
    container: {
      readonly id: string;
      readonly spec: ContainerSpec;
      readonly imageVolumes: readonly string[];
    },
    rootfs: string,
  ): Promise<readonly MountSpec[]>;
  /**
   * Before each start: the volumes' driver_opts mounted again where they are not (a reboot empties
   * BERTH_RUN_ROOT and unmounts them), so a start never binds a bare `_data` in their place.
   */
  remount(container: { readonly id: string; readonly spec: ContainerSpec }): Promise<void>;
  /**
   * Before a removal with `rm -v` starts: its anonymous volumes go with it even when the removal is
   * killed half-way and finished by the next command's recover.
   */
  removeWith(id: string): void;
  /**
   * References released (idempotent); anonymous volumes removed when `removeVolumes` (rm -v) or
   * when `removeWith` asked it.
   */
  detach(
    container: { readonly id: string; readonly spec: ContainerSpec },
    removeVolumes: boolean,
  ): Promise<void>;
  /** At a command's start: references of containers that no longer exist. */
  sweep(liveIds: readonly string[]): Promise<void>;
}

/** One volume a container uses, as its journal keeps it. */
interface Use {
  readonly name: string;
  readonly anonymous: boolean;
}

const JOURNAL = "volumes.json";

function journalOf(paths: NativePaths, id: string): string {
  return path.join(containerLayout(paths, id).dir, JOURNAL);
}

/** What a container's journal holds: the volumes it uses, and whether its removal takes them (rm -v). */
interface Journal {
  readonly volumes: Use[];
  readonly removeVolumes?: boolean | undefined;
}

async function readJournal(paths: NativePaths, id: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(journalOf(paths, id), "utf8");
  } catch {
    return undefined;
  }
  return parseJournal(text);
}

function parseJournal(text: string): Journal {
  try {
    const value = JSON.parse(text) as { volumes?: unknown; removeVolumes?: unknown };
    if (!Array.isArray(value.volumes)) return { volumes: [] };
    const volumes = value.volumes.filter(
      (u): u is Use =>
        typeof u === "object" &&
        u !== null &&
        typeof (u as Use).name === "string" &&
        typeof (u as Use).anonymous === "boolean",
    );
    return { volumes, removeVolumes: value.removeVolumes === true };
  } catch {
    return { volumes: [] };
  }
}

function writeJournal(paths: NativePaths, id: string, journal: Journal): void {
  writeAtomic(journalOf(paths, id), `${JSON.stringify(journal)}\n`);
}

/** The host directory a volume's mount binds (its `_data`; a driver_opts mount lies on it). */
export function mountpointOf(paths: NativePaths, name: string): string {
  return path.join(paths.volumes, name, "_data");
}

/** The host path of each of the spec's (named) volume mounts, by target, for config.json. */
export function volumeSourcesOf(paths: NativePaths, spec: ContainerSpec): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const m of spec.mounts ?? []) {
    if (m.type !== "volume" || m.source === undefined || m.source === "") continue;
    const data = mountpointOf(paths, m.source);
    sources[m.target] = m.subpath !== undefined && m.subpath !== "" ? path.join(data, m.subpath) : data;
  }
  return sources;
}

/** The ids of containers (other than those in `except`) whose journal names volume `name`. */
export async function volumeUsers(
  paths: NativePaths,
  name: string,
  except: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const users: string[] = [];
  for (const id of listIds(paths)) {
    if (except.has(id)) continue;
    if ((await readJournal(paths, id))?.volumes.some((u) => u.name === name) === true) users.push(id);
  }
  return users;
}

/** A container path as Docker compares mount destinations (cleaned, no trailing slash). */
function clean(target: string): string {
  return path.posix.normalize(`/${target}`).replace(/(.)\/+$/, "$1");
}

const MODES: ReadonlySet<string> = new Set(["ro", "rw", "z", "Z"]);

/** `name[:mode]` of `volumes_from` → the mounts of that container (not its tmpfs), mode applied. */
function inheritedMounts(paths: NativePaths, entry: string): MountSpec[] {
  const [ref = "", mode = ""] = entry.split(":");
  const modes = mode === "" ? [] : mode.split(",");
  for (const m of modes) {
    if (!MODES.has(m)) throw new InvalidRequestError(`invalid mode: ${mode}`);
  }
  const readOnly = modes.includes("ro");
  const id = ID_PATTERN.test(ref) ? ref : nameOwner(paths, ref.replace(/^\//, ""));
  const record = id === undefined ? undefined : readRecord(paths, id);
  if (record === undefined || record.state !== "created") {
    throw new NotFoundError(`No such container: ${ref}`, { status: 404 });
  }
  return (record.spec.mounts ?? []).flatMap((m): MountSpec[] =>
    m.type === "tmpfs" ? [] : [readOnly ? { ...m, readOnly: true } : m],
  );
}

/** A subpath inside a volume: relative, never leading out, and existing (Docker refuses otherwise). */
async function checkSubpath(volume: string, data: string, subpath: string): Promise<void> {
  const normal = path.posix.normalize(subpath);
  if (path.posix.isAbsolute(subpath) || normal === ".." || normal.startsWith("../")) {
    throw new InvalidRequestError(`subpath must be a relative path within the volume: ${subpath}`);
  }
  const resolved = await resolveInRoot(data, normal);
  if (resolved !== path.join(data, normal) || (await lstat(resolved).catch(() => undefined)) === undefined) {
    throw new InvalidRequestError(`cannot access path ${path.join(data, normal)} of volume ${volume}`);
  }
}

export function containerVolumes(
  paths: NativePaths,
  store: VolumeStore,
  /** Ids being detached in this process: their journals no longer make a volume in use. */
  leaving: Set<string>,
): ContainerVolumes {
  /** The volumes `id` uses: its journal's, or without one (none written: no volume) the spec's named ones. */
  async function usesOf(id: string, spec: ContainerSpec, journal?: Journal): Promise<readonly Use[]> {
    const found = journal ?? (await readJournal(paths, id));
    if (found !== undefined) return found.volumes;
    return (spec.mounts ?? []).flatMap((m) =>
      m.type === "volume" && m.source !== undefined && m.source !== ""
        ? [{ name: m.source, anonymous: false }]
        : [],
    );
  }

  async function detach(id: string, uses: readonly Use[], removeVolumes: boolean): Promise<void> {
    const problems: string[] = [];
    leaving.add(id);
    try {
      for (const name of new Set(uses.map((u) => u.name))) {
        await store.release(name, id).catch((error: unknown) => {
          problems.push(error instanceof Error ? error.message : String(error));
        });
      }
      if (removeVolumes) {
        for (const use of uses) {
          if (!use.anonymous) continue;
          // In use by another container (a volumes_from of this one), it stays, as on Docker.
          await store.remove(use.name, { force: true }).catch((error: unknown) => {
            if (!(error instanceof ConflictError)) {
              problems.push(error instanceof Error ? error.message : String(error));
            }
          });
        }
      }
      if (problems.length === 0) await rm(journalOf(paths, id), { force: true });
    } finally {
      leaving.delete(id);
    }
    if (problems.length > 0) throw new Error(problems.join("; "));
  }

  return {
    async attach({ id, spec, imageVolumes }, rootfs) {
      const uses: Use[] = [];
      const note = (use: Use): void => {
        uses.push(use);
        writeJournal(paths, id, { volumes: uses });
      };
      try {
        // Docker registers volumes_from first; a mount of the container's own at the same target wins.
        const byTarget = new Map<string, { mount: MountSpec; inherited: boolean }>();
        for (const entry of spec.volumesFrom ?? []) {
          for (const mount of inheritedMounts(paths, entry)) {
            byTarget.set(clean(mount.target), { mount, inherited: true });
          }
        }
        for (const mount of spec.mounts ?? []) byTarget.set(clean(mount.target), { mount, inherited: false });
        const covered = new Set([...byTarget.keys(), ...Object.keys(spec.tmpfs ?? {}).map(clean)]);
        const fromImage: string[] = [];
        for (const target of imageVolumes.map(clean)) {
          if (covered.has(target)) continue;
          covered.add(target);
          fromImage.push(target);
        }

        const out: MountSpec[] = [];
        for (const { mount, inherited } of byTarget.values()) {
          if (mount.type === "bind") {
            if (!inherited) await ensureBindSource(mount.source, mount.createHostPath !== false);
            out.push(mount);
            continue;
          }
          if (mount.type === "tmpfs") {
            out.push(mount);
            continue;
          }
          let name = mount.source ?? "";
          if (name === "") {
            name = anonymousVolumeName();
            note({ name, anonymous: true });
            await store.create({ name, labels: { ...mount.labels, [ANONYMOUS_LABEL]: "" } });
          } else {
            const found = await store.inspect(name);
            note({ name, anonymous: found?.labels[ANONYMOUS_LABEL] !== undefined && inherited });
            if (found === undefined) await store.create({ name, labels: { ...mount.labels } });
          }
          const data = await store.prepare(name, id);
          const subpath = mount.subpath !== undefined && mount.subpath !== "" ? mount.subpath : undefined;
          if (subpath !== undefined) await checkSubpath(name, data, subpath);
          if (mount.noCopy !== true && !inherited && subpath === undefined) {
            await store.populateFromImage(name, rootfs, mount.target);
          }
          out.push({ ...mount, source: name });
        }
        for (const target of fromImage) {
          const found = await lstat(await resolveInRoot(rootfs, target)).catch(() => undefined);
          if (found !== undefined && !found.isDirectory()) {
            throw new InvalidRequestError(
              `cannot mount volume over existing file, file exists ${path.join(rootfs, target)}`,
            );
          }
          const name = anonymousVolumeName();
          note({ name, anonymous: true });
          await store.create({ name, labels: { [ANONYMOUS_LABEL]: "" } });
          await store.prepare(name, id);
          await store.populateFromImage(name, rootfs, target);
          out.push({ type: "volume", source: name, target });
        }
        return out;
      } catch (error) {
        // Undone as a removal with -v would (its own journal no longer keeps them in use).
        await detach(id, uses, true).catch(() => undefined);
        await rm(journalOf(paths, id), { force: true });
        throw error;
      }
    },

    async remount({ id, spec }) {
      for (const name of new Set((await usesOf(id, spec)).map((u) => u.name))) await store.prepare(name, id);
    },

    removeWith(id) {
      // Read and written synchronously: it runs under the container's lock, before its teardown.
      let text: string;
      try {
        text = readFileSync(journalOf(paths, id), "utf8");
      } catch {
        return; // No volume: nothing to remove with it.
      }
      writeJournal(paths, id, { ...parseJournal(text), removeVolumes: true });
    },

    async detach({ id, spec }, removeVolumes) {
      const journal = await readJournal(paths, id);
      await detach(id, await usesOf(id, spec, journal), removeVolumes || journal?.removeVolumes === true);
    },

    sweep: (liveIds) => store.sweep(new Set(liveIds)),
  };
}

/** inspect's Mounts: a volume by its name, its source the volume's directory (Docker's `Source`). */
export function inspectedMounts(paths: NativePaths, spec: ContainerSpec): ContainerState["mounts"] {
  return (spec.mounts ?? []).map((m) => {
    const readOnly = m.readOnly === true;
    if (m.type === "tmpfs") return { type: m.type, source: "", target: m.target, readOnly };
    if (m.type === "bind") return { type: m.type, source: m.source, target: m.target, readOnly };
    const name = m.source ?? "";
    return {
      type: m.type,
      name,
      source: name === "" ? "" : mountpointOf(paths, name),
      target: m.target,
      readOnly,
    };
  });
}

/** The list's Mounts: binds and volumes (a volume by name, of the local driver). */
export function listedMounts(mounts: ContainerState["mounts"]): ListedMount[] {
  return mounts.flatMap((m): ListedMount[] => {
    if (m.type === "bind") return [{ source: m.source }];
    if (m.type === "volume") return [{ name: m.name, source: m.source, driver: "local" }];
    return [];
  });
}

/** Binds and volumes with their host paths (copy in and out reaches them there, not in the rootfs). */
export function hostMounts(
  paths: NativePaths,
  spec: ContainerSpec,
): { readonly source: string; readonly target: string; readonly readOnly: boolean }[] {
  const volumes = volumeSourcesOf(paths, spec);
  return (spec.mounts ?? []).flatMap((m) => {
    const source = m.type === "bind" ? m.source : m.type === "volume" ? volumes[m.target] : undefined;
    return source === undefined ? [] : [{ source, target: m.target, readOnly: m.readOnly === true }];
  });
}
