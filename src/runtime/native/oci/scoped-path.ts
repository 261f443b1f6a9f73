/**
 * Reading a file of a container's root filesystem from the host without leaving it: an image may
 * make `/etc/passwd` a symlink to `/../../host/etc/shadow`. Symlinks are resolved as the container
 * would see them, with the rootfs as `/` (what moby's `FollowSymlinkInScope` does), and the final
 * open refuses a symlink swapped in meanwhile.
 */
import { constants } from "node:fs";
import { lstat, open, readlink } from "node:fs/promises";
import path from "node:path";

/** Linux's own limit on symlinks followed in one lookup is 40; moby allows 255. */
const MAX_LINKS = 255;

/**
 * `unsafePath` with every symlink on the way resolved in the container's scope: a clean, absolute
 * container path. `hostPathOf` says where a container path is on the host (the rootfs joined, or a
 * mount's source for a path under it: process/container-fs.ts).
 */
export async function resolveInScope(
  unsafePath: string,
  hostPathOf: (containerPath: string) => string,
): Promise<string> {
  let pending = unsafePath.split("/").filter((part) => part !== "" && part !== ".");
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = `/${[...resolved, part].join("/")}`;
    const stat = await lstat(hostPathOf(candidate)).catch(() => undefined);
    if (stat?.isSymbolicLink() !== true) {
      resolved.push(part);
      if (stat === undefined) {
        // Nothing there: what follows cannot be a link, and stays inside by normalization.
        const tail = path.posix.normalize(`/${pending.join("/")}`).slice(1);
        if (tail !== "") resolved.push(...tail.split("/").filter((s) => s !== ".."));
        break;
      }
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many symlinks resolving ${unsafePath}`);
    const target = await readlink(hostPathOf(candidate));
    if (target.startsWith("/")) resolved = [];
    pending = [...target.split("/").filter((s) => s !== "" && s !== "."), ...pending];
  }
  return `/${resolved.join("/")}`;
}

/** `unsafePath` (as the container names it) resolved to a host path that stays inside `root`. */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  return path.join(root, await resolveInScope(unsafePath, (p) => path.join(root, p)));
}

/**
 * The text of a regular file inside `root`, or `undefined` when it is missing or not a regular
 * file (runc's user lookup treats an unreadable passwd or group file as absent).
 */
export async function readFileInRoot(root: string, unsafePath: string): Promise<string | undefined> {
  const hostPath = await resolveInRoot(root, unsafePath);
  // O_NONBLOCK: a FIFO planted at the path must not hang the open.
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(hostPath, flags).catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}
