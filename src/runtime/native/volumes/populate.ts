/**
 * Docker's copy-up: a volume mounted where the image has content receives that content when the
 * volume is empty (moby's copyExistingContents), with modes, owners, timestamps, symlinks and
 * hard links kept (`cp -a`), and the volume's root takes the image directory's owner and mode
 * (copyOwnership). Emptiness is the only condition, as on Docker: an emptied volume is filled
 * again by the next container that mounts it (seen on dockerd 20.10).
 */
import { chmod, chown, lstat, readdir } from "node:fs/promises";
import { execa } from "execa";
import { RuntimeError } from "../../errors.js";
import { resolveInRoot } from "../oci/scoped-path.js";

/** Copies `pathInImage` of `rootfs` into `target` when `target` is empty; true when it copied. */
export async function copyImageContent(
  rootfs: string,
  pathInImage: string,
  target: string,
): Promise<boolean> {
  // Resolved as the container sees it, so an image's symlink cannot point the copy outside it.
  const source = await resolveInRoot(rootfs, pathInImage);
  const stat = await lstat(source).catch(() => undefined);
  if (stat?.isDirectory() !== true) return false;
  if ((await readdir(target)).length > 0) return false;
  const result = await execa("cp", ["-a", "--", `${source}/.`, `${target}/`], {
    reject: false,
    timeout: 300_000,
  });
  if (result.exitCode !== 0) {
    throw new RuntimeError(`copying ${pathInImage} of the image into the volume: ${result.stderr.trim()}`);
  }
  await chown(target, stat.uid, stat.gid);
  await chmod(target, stat.mode & 0o7777);
  return true;
}
