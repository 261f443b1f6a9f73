/**
 * A container's rootfs (an overlay of its image's layers and its own upper dir) and its bundle
 * (config.json from the oci part, plus the /etc/hosts, /etc/resolv.conf and /etc/hostname it gets).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { errnoCode } from "../../../errno.js";
import { hostnameFile, hostsFile, resolvFile } from "./bundle-files.js";
import { cgroupsPath } from "./cgroups.js";
import type { ContainerContext } from "./context.js";
import type { BundleNetworking } from "./networking.js";
import { type ContainerRecord, writeAtomic } from "./records.js";
import { volumeSourcesOf } from "./volume-mounts.js";

export function mounted(target: string): boolean {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .some((line) => line.split(" ")[4] === target);
  } catch {
    return false;
  }
}

/** mkdir(2) of one directory, there already being fine. */
function makeDir(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { mode });
  } catch (error) {
    if (errnoCode(error) !== "EEXIST") throw error;
  }
}

export async function ensureRootfs(ctx: ContainerContext, record: ContainerRecord): Promise<void> {
  const layout = ctx.layoutOf(record.id);
  if (mounted(layout.rootfs)) return;
  // Not recursive: the container's directory comes with its record (./records.ts createRecord), and
  // a start racing a removal must fail here rather than make it again.
  for (const dir of [layout.work, layout.rootfs]) makeDir(dir, 0o700);
  // The upper dir's root is the container's `/` (overlayfs takes the root's attributes from the
  // upper layer): 0755 as Docker's overlay2 diff dir, or no other user could reach any file.
  // Set once, when made, whatever the umask: a chmod of `/` inside the container stays.
  if (!existsSync(layout.upper)) {
    makeDir(layout.upper, 0o755);
    chmodSync(layout.upper, 0o755);
  }
  await ctx.deps.mountRootfs({
    layerDirs: record.layerDirs,
    upper: layout.upper,
    work: layout.work,
    target: layout.rootfs,
  });
}

function hostFile(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** A start writes the bundle create wrote: a file already as it should be is left alone. */
function writeChanged(file: string, text: string, mode?: number): void {
  if (hostFile(file) !== text) writeAtomic(file, text, mode);
}

/**
 * Writes the bundle; answers Docker's warnings for the container on this host. `network` (from
 * ./networking.ts) gives its namespace, hosts and resolv.conf at create; without it (a start), the
 * record's namespace and the files already written, or those of a container with no network.
 */
export async function writeBundle(
  ctx: ContainerContext,
  record: ContainerRecord,
  network?: BundleNetworking,
): Promise<readonly string[]> {
  const layout = ctx.layoutOf(record.id);
  mkdirSync(layout.bundle, { recursive: true, mode: 0o700 });
  // A start writes the bundle again: the files create wrote stay (a connect may have changed them).
  const hosts = network?.hosts ?? hostFile(layout.hosts);
  if (hosts !== undefined) writeChanged(layout.hosts, hosts, 0o644);
  else writeChanged(layout.hosts, hostsFile(record.spec, record.hostname, hostFile("/etc/hosts")), 0o644);
  const resolv = network?.resolv ?? hostFile(layout.resolv);
  if (resolv !== undefined) writeChanged(layout.resolv, resolv, 0o644);
  else writeChanged(layout.resolv, resolvFile(record.spec, hostFile("/etc/resolv.conf") ?? ""), 0o644);
  writeChanged(layout.hostname, hostnameFile(record.hostname), 0o644);
  await ctx.deps.volumes?.remount(record);
  const { config, warnings } = await ctx.deps.ociSpec({
    spec: record.spec,
    image: record.imageConfig,
    rootfs: layout.rootfs,
    user: record.user,
    hostsPath: layout.hosts,
    resolvPath: layout.resolv,
    hostnamePath: layout.hostname,
    hostname: record.hostname,
    netnsPath: network?.netnsPath ?? record.netnsPath,
    initPath: record.spec.init ? ctx.deps.initPath : undefined,
    volumeSources: volumeSourcesOf(ctx.paths, record.spec),
    cgroupsPath: cgroupsPath(record.id, record.spec.cgroupParent),
  });
  writeChanged(layout.config, `${JSON.stringify(config, null, 1)}\n`);
  return warnings;
}
