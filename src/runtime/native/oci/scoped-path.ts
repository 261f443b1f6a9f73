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

/** `unsafePath` (as the container names it) resolved to a host path that stays inside `root`. */
export async function resolveInRoot(root: string, unsafePath: string): Promise<string> {
  let pending = unsafePath.split("/").filter((p) => p !== "" && p !== ".");
  let resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending as [string, ...string[]];
    pending = rest;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    const stat = await lstat(candidate).catch(() => undefined);
    if (stat?.isSymbolicLink() !== true) {
      // A missing component ends the walk: what follows cannot be a link.
      resolved.push(part);
      if (stat === undefined) {
        resolved.push(...pending.filter((p) => p !== ".."));
        break;
      }
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many symlinks resolving ${unsafePath} in ${root}`);
    const target = await readlink(candidate);
    if (target.startsWith("/")) resolved = [];
    pending = [...target.split("/").filter((p) => p !== "" && p !== "."), ...pending];
  }
  return path.join(root, ...resolved);
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
