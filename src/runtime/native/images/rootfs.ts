/**
 * A container's root filesystem: overlayfs over the image's unpacked layers, plus the container's
 * own upper and work dirs (docs.kernel.org `filesystems/overlayfs`). `mount -t overlay` is spawned
 * with an argument array. A one-layer image goes through overlay too (one lowerdir), so every
 * container's writes land in its upper dir and never in a shared layer. The options must fit one
 * page: when the absolute lowerdir list would not, the layers' short links (`layers/l/<16 hex>`)
 * are used, relative to the layers directory, as moby's overlay2 does.
 */
import { readFile } from "node:fs/promises";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { InvalidRequestError } from "../../errors.js";

export interface RootfsMount {
  /** Unpacked layer dirs (`layers/<hex>/diff`), bottom → top. */
  readonly layerDirs: readonly string[];
  readonly upper: string;
  /** Empty, on the same filesystem as `upper`. */
  readonly work: string;
  /** The merged dir to mount on. */
  readonly target: string;
  /** Mount read-only (`ro`): writes fail even into the upper dir. */
  readonly readOnly?: boolean | undefined;
}

/** The kernel reads mount options from one page. */
export const PAGE_SIZE = 4096;

export interface OverlayMountPlan {
  readonly options: string;
  /** The directory `mount` runs in, when lowerdirs are relative short links. */
  readonly cwd?: string | undefined;
}

function checkPath(p: string): void {
  // overlayfs splits its options on ',' and lowerdir on ':'.
  if (/[,:\n]/.test(p)) throw new InvalidRequestError(`overlay path ${JSON.stringify(p)} holds ',' or ':'`);
}

/**
 * The overlay option string for a mount (pure): absolute lowerdirs (top first) when they fit in
 * `pageSize`, else the short links relative to the layers dir all the layers share.
 */
export function overlayMountPlan(mount: RootfsMount, pageSize = PAGE_SIZE): OverlayMountPlan {
  if (mount.layerDirs.length === 0)
    throw new InvalidRequestError("an overlay rootfs needs at least one layer");
  for (const p of [...mount.layerDirs, mount.upper, mount.work]) checkPath(p);
  const rest = `,upperdir=${mount.upper},workdir=${mount.work}${mount.readOnly ? ",ro" : ""}`;
  const topFirst = [...mount.layerDirs].reverse();
  const absolute = `lowerdir=${topFirst.join(":")}${rest}`;
  if (absolute.length < pageSize) return { options: absolute };
  const layersDir = path.dirname(path.dirname(topFirst[0]!));
  const links = topFirst.map((dir) => {
    const chainDir = path.dirname(dir);
    if (path.basename(dir) !== "diff" || path.dirname(chainDir) !== layersDir) {
      throw new InvalidRequestError(`too many layers for one overlay mount, and ${dir} has no short link`);
    }
    return path.join("l", path.basename(chainDir).slice(0, 16));
  });
  const short = `lowerdir=${links.join(":")}${rest}`;
  if (short.length >= pageSize)
    throw new InvalidRequestError(`too many layers for one overlay mount (${mount.layerDirs.length})`);
  return { options: short, cwd: layersDir };
}

/**
 * Mounts the rootfs at `target` (made with upper and work when missing). `pageSize` is the kernel's
 * limit; tests lower it to take the short-link path with a few layers.
 */
export async function mountRootfs(mount: RootfsMount, pageSize = PAGE_SIZE): Promise<void> {
  const plan = overlayMountPlan(mount, pageSize);
  for (const dir of [mount.upper, mount.work, mount.target]) await mkdir(dir, { recursive: true });
  await execa(
    "mount",
    ["-t", "overlay", "overlay", "-o", plan.options, mount.target],
    plan.cwd === undefined ? {} : { cwd: plan.cwd },
  );
}

/** Mount points in /proc/self/mountinfo text (field 5, with its octal escapes undone). */
export function mountPoints(mountinfo: string): string[] {
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    );
}

export async function isMounted(target: string): Promise<boolean> {
  return mountPoints(await readFile("/proc/self/mountinfo", "utf8")).includes(path.resolve(target));
}

/** Unmounts the rootfs; nothing to do when it is not mounted. A busy mount is detached lazily. */
export async function unmountRootfs(target: string): Promise<void> {
  if (!(await isMounted(target))) return;
  const result = await execa("umount", [target], { reject: false });
  if (result.exitCode !== 0 && (await isMounted(target))) await execa("umount", ["-l", target]);
}
