/**
 * The container's filesystem as the host reaches it: the rootfs (the overlay's merged directory)
 * with the container's bind mounts and volumes in place. From the host, a running container's
 * mounts are not visible in the merged directory (they live in its own mount namespace), so a
 * path under a mount's target is read and written at the mount's source instead, as Docker's
 * archive API sees it (moby mounts them into the rootfs on the host for the copy).
 *
 * Symlinks are resolved as the container would resolve them, with the rootfs as `/` (moby's
 * FollowSymlinkInScope, oci's resolveInRoot), across mounts too, so no link leads out.
 */
import { lstat, readlink } from "node:fs/promises";
import path from "node:path";

const posix = path.posix;

/** Linux allows 40 links in one lookup; moby 255. */
const MAX_LINKS = 255;

export interface ContainerMount {
  /** Where the mount's files are on the host. */
  readonly source: string;
  /** Where the container sees them (absolute). */
  readonly target: string;
  readonly readOnly: boolean;
}

export class ContainerFs {
  private readonly mounts: readonly ContainerMount[];

  constructor(
    private readonly rootfs: string,
    mounts: readonly ContainerMount[] = [],
  ) {
    // The deepest target first: a mount inside another mount wins for its own subtree.
    this.mounts = mounts
      .map((m) => ({ ...m, target: posix.join("/", m.target) }))
      .sort((a, b) => b.target.length - a.target.length);
  }

  /** The mount whose target holds the (clean, absolute) container path `p`, if any. */
  mountOf(p: string): ContainerMount | undefined {
    return this.mounts.find((m) => p === m.target || p.startsWith(m.target === "/" ? "/" : `${m.target}/`));
  }

  /** Where the clean, absolute container path `p` is on the host (its links not resolved). */
  hostPath(p: string): string {
    const mount = this.mountOf(p);
    if (mount === undefined) return path.join(this.rootfs, p);
    return path.join(mount.source, posix.relative(mount.target, p));
  }

  /** `p` with every symlink on the way resolved in the container's scope: a clean, absolute container path. */
  async resolve(p: string): Promise<string> {
    let pending = p.split("/").filter((part) => part !== "" && part !== ".");
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
      const stat = await lstat(this.hostPath(candidate)).catch(() => undefined);
      if (stat?.isSymbolicLink() !== true) {
        resolved.push(part);
        if (stat === undefined) {
          // Nothing there: what follows cannot be a link, and stays inside by normalization.
          const tail = posix.normalize(`/${pending.join("/")}`).slice(1);
          if (tail !== "") resolved.push(...tail.split("/").filter((s) => s !== ".."));
          break;
        }
        continue;
      }
      if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links resolving ${p}`);
      const target = await readlink(this.hostPath(candidate));
      if (target.startsWith("/")) resolved = [];
      pending = [...target.split("/").filter((s) => s !== "" && s !== "."), ...pending];
    }
    return `/${resolved.join("/")}`;
  }

  /** Container paths of the mounts whose target is directly inside `dir` (so a walk descends into them). */
  mountTargetsIn(dir: string): string[] {
    return this.mounts
      .filter((m) => m.target !== "/" && posix.dirname(m.target) === dir)
      .map((m) => m.target);
  }
}
