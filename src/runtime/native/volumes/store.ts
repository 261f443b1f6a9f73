/**
 * The volume store: records under `paths.volumes/<name>/` (record + `_data`), Docker's local
 * driver semantics for create/inspect/list/remove, and the mount references of driver_opts volumes
 * (`paths.run/volumes/<name>.json`, under a lock: they live as long as the mounts do).
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { acquireFileLock } from "../../../file-lock.js";
import { ConflictError, InvalidRequestError, NotFoundError, RuntimeError } from "../../errors.js";
import type { LabelTerms, VolumeInfo, Volumes, VolumeSpec } from "../../runtime.js";
import { matchesLabels } from "../images/filters.js";
import { sweepTemporaries, tempName } from "../images/temp-files.js";
import type { NativePaths } from "../paths.js";
import { isMounted, mountVolume, unmountVolume } from "./mounts.js";
import { ANONYMOUS_LABEL, anonymousVolumeName, validateVolumeName, volumeNameProblem } from "./names.js";
import { parseDriverOpts } from "./options.js";
import { copyImageContent } from "./populate.js";
import { DATA_DIR, readRecord, type VolumeRecord, writeRecord } from "./records.js";
import { errnoCode } from "../../../errno.js";

export interface VolumeStoreOptions {
  /**
   * The containers (ids) that use a volume, existing ones whatever their state: `remove` refuses
   * while any does, even forced, as Docker does. None when absent.
   */
  readonly inUse?: ((name: string) => Promise<readonly string[]> | readonly string[]) | undefined;
}

/** Runtime.volumes itself, plus what the containers code needs around a container's mounts. */
export interface VolumeStore extends Volumes {
  /** Idempotent: an existing volume of the local driver is returned as it is (Docker does so). */
  create(spec: VolumeSpec): Promise<VolumeInfo>;
  /** A new anonymous volume: a random 64-hex name and Docker's anonymous label. */
  createAnonymous(labels?: Readonly<Record<string, string>>): Promise<VolumeInfo>;
  inspect(name: string): Promise<VolumeInfo | undefined>;
  /** Label terms (`key`, `key=value`) ANDed; `name` matches exactly. */
  list(filter?: { readonly labels?: LabelTerms; readonly name?: string }): Promise<VolumeInfo[]>;
  remove(name: string, options?: { readonly force?: boolean }): Promise<void>;
  /** The host path a container binds (`_data`); NotFoundError when there is no such volume. */
  mountpointFor(name: string): Promise<string>;
  /** Takes `user`'s reference; the first one mounts the driver_opts (nothing for plain volumes). */
  prepare(name: string, user: string): Promise<string>;
  /** Drops `user`'s reference; the last one unmounts. Idempotent. */
  release(name: string, user: string): Promise<void>;
  /** Docker's copy-up into an empty volume (after `prepare`); true when it copied. */
  populateFromImage(name: string, imageRootfsDir: string, pathInImage: string): Promise<boolean>;
  /** Drops references of users not in `live` (a crash's) and unmounts what nobody uses. */
  sweep(live: ReadonlySet<string>): Promise<void>;
}

const LOCK_TIMEOUT_MS = 30_000;

export function openVolumeStore(paths: NativePaths, options: VolumeStoreOptions = {}): VolumeStore {
  const refsDir = path.join(paths.run, "volumes");
  const dirOf = (name: string): string => path.join(paths.volumes, name);
  let swept = false;

  async function ready(): Promise<void> {
    await mkdir(paths.volumes, { recursive: true, mode: 0o701 });
    if (!swept) {
      swept = true;
      await sweepTemporaries(paths.volumes);
    }
  }

  async function load(name: string): Promise<VolumeRecord | undefined> {
    // A name that is not a volume name can name no record (and must not walk out of the store).
    if (volumeNameProblem(name) !== undefined) return undefined;
    return readRecord(dirOf(name));
  }

  async function existing(name: string, op: string): Promise<VolumeRecord> {
    const record = await load(name);
    if (record === undefined) throw new NotFoundError(`${op} ${name}: no such volume`);
    return record;
  }

  const info = (record: VolumeRecord): VolumeInfo => ({
    name: record.name,
    driver: record.driver,
    mountpoint: path.join(dirOf(record.name), DATA_DIR),
    labels: record.labels,
    options: record.options,
    created: new Date(record.created),
  });

  async function create(spec: VolumeSpec): Promise<VolumeInfo> {
    validateVolumeName(spec.name);
    const driver = spec.driver === undefined || spec.driver === "" ? "local" : spec.driver;
    if (driver !== "local") {
      throw new InvalidRequestError(
        `create ${spec.name}: volume driver ${JSON.stringify(driver)} is not available natively: only "local" is`,
      );
    }
    const found = await load(spec.name);
    if (found !== undefined) return info(found);
    parseDriverOpts(spec.name, spec.driverOpts);
    await ready();
    // Made whole in a temporary directory and renamed into place: a crash leaves a temporary
    // (swept), never a half volume, and of two racing creates one wins and the other returns it.
    const temp = tempName(paths.volumes);
    await mkdir(path.join(temp, DATA_DIR), { recursive: true, mode: 0o755 });
    const record: VolumeRecord = {
      name: spec.name,
      driver: "local",
      labels: { ...spec.labels },
      options: { ...spec.driverOpts },
      created: new Date().toISOString(),
    };
    await writeRecord(temp, record);
    try {
      await rename(temp, dirOf(spec.name));
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      const code = errnoCode(error);
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      return info(await existing(spec.name, "create"));
    }
    return info(record);
  }

  async function withRefs<T>(name: string, body: (refs: Set<string>) => Promise<T>): Promise<T> {
    await mkdir(refsDir, { recursive: true, mode: 0o700 });
    await mkdir(paths.locks, { recursive: true, mode: 0o700 });
    const unlock = await acquireFileLock(path.join(paths.locks, `volume-${name}.lock`), {
      timeoutMs: LOCK_TIMEOUT_MS,
      aborted: () => new RuntimeError(`volume ${name}: aborted`),
      timedOut: (owner) =>
        new RuntimeError(`volume ${name}: its lock is held by process ${owner?.pid ?? "?"}`),
    });
    try {
      const file = path.join(refsDir, `${name}.json`);
      const refs = new Set<string>(await readRefs(file));
      const before = [...refs].sort().join(",");
      const result = await body(refs);
      if ([...refs].sort().join(",") !== before) {
        if (refs.size === 0) await rm(file, { force: true });
        else {
          const temp = tempName(refsDir);
          await writeFile(temp, JSON.stringify([...refs]), { mode: 0o600 });
          await rename(temp, file);
        }
      }
      return result;
    } finally {
      unlock();
    }
  }

  async function prepare(name: string, user: string): Promise<string> {
    const record = await existing(name, "mount");
    const target = path.join(dirOf(name), DATA_DIR);
    const mount = parseDriverOpts(name, record.options);
    if (mount === undefined) return target;
    return withRefs(name, async (refs) => {
      if (!(await isMounted(target))) await mountVolume(name, mount, target);
      refs.add(user);
      return target;
    });
  }

  async function releaseIn(name: string, refs: Set<string>, drop: (user: string) => boolean): Promise<void> {
    for (const user of [...refs]) if (drop(user)) refs.delete(user);
    if (refs.size === 0) await unmountVolume(name, path.join(dirOf(name), DATA_DIR));
  }

  async function remove(name: string, opts: { readonly force?: boolean } = {}): Promise<void> {
    const record = await load(name);
    if (record === undefined) {
      // Docker: `volume rm -f` of a missing volume succeeds.
      if (opts.force === true) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const dir = dirOf(name);
    const data = path.join(dir, DATA_DIR);
    // Under the volume's lock, so no prepare of another process slips between check and removal.
    await withRefs(name, async (refs) => {
      const users = (await options.inUse?.(name)) ?? [];
      if (users.length > 0) {
        // Refused even when forced, as Docker does (force only forgives a missing volume).
        throw new ConflictError(`remove ${name}: volume is in use - [${users.join(", ")}]`);
      }
      // Docker's local driver refuses while its mount count is above zero; a crashed user's
      // reference is dropped by `sweep`.
      if (refs.size > 0)
        throw new ConflictError(`remove ${name}: volume has active mounts - [${[...refs].join(", ")}]`);
      await unmountVolume(name, data);
      // Never delete through a mount: a bind volume's device is the user's directory.
      if (await isMounted(data)) throw new ConflictError(`remove ${name}: ${data} is still mounted`);
      const doomed = tempName(paths.volumes);
      await rename(dir, doomed);
      await rm(doomed, { recursive: true, force: true });
    });
  }

  return {
    create,
    createAnonymous: (labels = {}) =>
      create({ name: anonymousVolumeName(), labels: { ...labels, [ANONYMOUS_LABEL]: "" } }),
    inspect: async (name) => {
      const record = await load(name);
      return record === undefined ? undefined : info(record);
    },
    list: async (filter = {}) => {
      let names: string[];
      try {
        names = await readdir(paths.volumes);
      } catch {
        return [];
      }
      const out: VolumeInfo[] = [];
      for (const name of names.sort()) {
        if (filter.name !== undefined && name !== filter.name) continue;
        const record = await load(name);
        if (record === undefined) continue;
        if (filter.labels !== undefined && !matchesLabels(record.labels, filter.labels)) continue;
        out.push(info(record));
      }
      return out;
    },
    remove,
    mountpointFor: async (name) => info(await existing(name, "get")).mountpoint,
    prepare,
    release: async (name, user) => {
      if ((await load(name)) === undefined) return;
      await withRefs(name, async (refs) => {
        if (refs.has(user)) await releaseIn(name, refs, (u) => u === user);
      });
    },
    populateFromImage: async (name, imageRootfsDir, pathInImage) => {
      const record = await existing(name, "get");
      const target = path.join(dirOf(name), DATA_DIR);
      if (parseDriverOpts(name, record.options) !== undefined && !(await isMounted(target))) {
        throw new RuntimeError(
          `volume ${name}: prepare it before populating it (its driver_opts are not mounted)`,
        );
      }
      // Under the lock: two containers starting at once must not both see it empty and copy.
      return withRefs(name, () => copyImageContent(imageRootfsDir, pathInImage, target));
    },
    sweep: async (live) => {
      let files: string[];
      try {
        files = await readdir(refsDir);
      } catch {
        return;
      }
      for (const file of files) {
        if (!file.endsWith(".json")) continue;
        const name = file.slice(0, -".json".length);
        if (volumeNameProblem(name) !== undefined) continue;
        await withRefs(name, async (refs) => releaseIn(name, refs, (u) => !live.has(u)));
      }
    },
  };
}

async function readRefs(file: string): Promise<string[]> {
  try {
    const value: unknown = JSON.parse(await readFile(file, "utf8"));
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}
