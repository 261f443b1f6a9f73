/**
 * The container's filesystem as the host reaches it: the rootfs (the overlay's merged directory)
 * with the container's bind mounts and volumes in place. From the host, a running container's
 * mounts are not visible in the merged directory (they live in its own mount namespace), so a
 * path under a mount's target is read and written at the mount's source instead, as Docker's
 * archive API sees it (moby mounts them into the rootfs on the host for the copy).
 *
 * Symlinks are resolved as the container would resolve them, with the rootfs as `/` (moby's
 * FollowSymlinkInScope, oci's resolveInScope), across mounts too, so no link leads out.
 */
import path from "node:path";
import { resolveInScope } from "../oci/scoped-path.js";

const posix = path.posix;

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
  resolve(p: string): Promise<string> {
    return resolveInScope(p, (c) => this.hostPath(c));
  }

  /** Container paths of the mounts whose target is directly inside `dir` (so a walk descends into them). */
  mountTargetsIn(dir: string): string[] {
    return this.mounts
      .filter((m) => m.target !== "/" && posix.dirname(m.target) === dir)
      .map((m) => m.target);
  }
}
