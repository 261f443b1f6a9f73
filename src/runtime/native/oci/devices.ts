/**
 * Device nodes for `devices:` and privileged containers, read from the host (the one effectful step
 * before the pure spec): what moby's `oci.DevicesFromPath` and runc's `devices.HostDevices` find.
 * The device cgroup rules Docker writes for them are made in spec.ts.
 */
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { InvalidRequestError } from "../../errors.js";
import type { OciDevice } from "./types.js";

/** A device node to create in the container, with the cgroup access it is given (`rwm`). */
export interface ResolvedDevice extends OciDevice {
  readonly permissions: string;
}

const S_IFMT = 0o170000n;
const S_IFCHR = 0o020000n;
const S_IFBLK = 0o060000n;

/** glibc's gnu_dev_major/minor for a 64-bit dev_t. */
function major(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}
function minor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

async function deviceAt(
  hostPath: string,
  containerPath: string,
  permissions: string,
): Promise<ResolvedDevice | undefined> {
  const st = await lstat(hostPath, { bigint: true }).catch(() => undefined);
  if (st === undefined) return undefined;
  const kind = st.mode & S_IFMT;
  if (kind !== S_IFCHR && kind !== S_IFBLK) return undefined;
  return {
    path: containerPath,
    type: kind === S_IFCHR ? "c" : "b",
    major: major(st.rdev),
    minor: minor(st.rdev),
    fileMode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    permissions,
  };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) found.push(full, ...(await walk(full)));
    else found.push(full);
  }
  return found;
}

/**
 * `devices:` entries as nodes: a device path (a symlink to one is followed), or a directory whose
 * device nodes are all taken, renamed under the container path.
 */
export async function resolveDevices(
  mappings: readonly { readonly source: string; readonly target: string; readonly permissions: string }[],
): Promise<ResolvedDevice[]> {
  const out: ResolvedDevice[] = [];
  for (const { source, target, permissions } of mappings) {
    const resolved = await realpath(source).catch(() => source);
    const device = await deviceAt(resolved, target, permissions);
    if (device !== undefined) {
      out.push(device);
      continue;
    }
    const isDir = (await stat(resolved).catch(() => undefined))?.isDirectory() === true;
    const children = isDir ? await walk(resolved) : [];
    const found: ResolvedDevice[] = [];
    for (const child of children) {
      const d = await deviceAt(child, target + child.slice(resolved.length), permissions);
      if (d !== undefined) found.push(d);
    }
    if (found.length === 0) {
      throw new InvalidRequestError(
        `error gathering device information while adding custom device "${source}": not a device node`,
      );
    }
    out.push(...found);
  }
  return out;
}

/** Directories of /dev runc leaves out of a privileged container's devices. */
const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  "pts",
  "shm",
  "fd",
  "mqueue",
  ".lxc",
  ".lxd-mounts",
  ".udev",
]);

/** Every device node under the host's /dev (runc's `HostDevices`), for a privileged container. */
export async function hostDevices(root = "/dev"): Promise<ResolvedDevice[]> {
  const out: ResolvedDevice[] = [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(root, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) out.push(...(await hostDevices(full)));
      continue;
    }
    if (e.name === "console") continue;
    const d = await deviceAt(full, full, "rwm");
    if (d !== undefined) out.push(d);
  }
  return out;
}

/** A block device's numbers, as the blkio limits name it (`/dev/sda` → 8:0). */
export interface BlockDeviceNumbers {
  readonly major: number;
  readonly minor: number;
}

/**
 * The numbers of the block devices `paths` name (symlinks followed, as Docker's stat follows them);
 * a path that is not a block device is refused, naming it.
 */
export async function blockDeviceNumbers(
  paths: readonly string[],
): Promise<Readonly<Record<string, BlockDeviceNumbers>>> {
  const out: Record<string, BlockDeviceNumbers> = {};
  for (const devicePath of new Set(paths)) {
    const st = await stat(devicePath, { bigint: true }).catch(() => undefined);
    if (st === undefined)
      throw new InvalidRequestError(`blkio device ${devicePath}: no such file or directory`);
    if ((st.mode & S_IFMT) !== S_IFBLK)
      throw new InvalidRequestError(`blkio device ${devicePath} is not a block device`);
    out[devicePath] = { major: major(st.rdev), minor: minor(st.rdev) };
  }
  return out;
}
