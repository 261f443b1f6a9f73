/**
 * Mounting a volume's driver_opts onto its `_data` and back, and whether something is mounted
 * there (from /proc/self/mountinfo, so the answer holds across processes).
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { RuntimeError } from "../../errors.js";
import { type MountOptions, mountArgs } from "./options.js";

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mount points in a mountinfo text (field 5). */
export function mountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field !== undefined) points.push(unescape(field));
  }
  return points;
}

export async function isMounted(target: string): Promise<boolean> {
  return mountPoints(await readFile("/proc/self/mountinfo", "utf8")).includes(target);
}

export async function mountVolume(name: string, options: MountOptions, target: string): Promise<void> {
  const result = await execa("mount", mountArgs(options, target), { reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) {
    throw new RuntimeError(
      `volume ${name}: failed to mount local volume: ${result.stderr.trim() || result.stdout}`,
    );
  }
}

/** Unmounts every mount stacked on `target` (a crash may have left more than one). */
export async function unmountVolume(name: string, target: string): Promise<void> {
  for (let i = 0; i < 8 && (await isMounted(target)); i++) {
    const result = await execa("umount", ["--", target], { reject: false, timeout: 30_000 });
    if (result.exitCode !== 0) {
      throw new RuntimeError(`volume ${name}: failed to unmount ${target}: ${result.stderr.trim()}`);
    }
  }
}
