/**
 * What the process-io functions (exec, attach, top, stats, copy) need to know about one
 * container: where runc keeps it, its mounted rootfs, its cgroup directories and its main pid.
 * The containers module builds this from its record; nothing here knows how records are stored.
 */
import type { ContainerMount } from "./container-fs.js";

/**
 * The cgroup directories of one container: one per v1 controller, or the single v2 directory
 * (containers/cgroups.ts `controllerDir` gives them for the container's cgroupsPath: `/berth/<id>`,
 * or `<cgroup_parent>/<id>`).
 */
export type CgroupPaths =
  | { readonly version: 2; readonly dir: string }
  | {
      readonly version: 1;
      /** By controller name (`memory`, `cpuacct`, `pids`, `blkio`, `freezer`, …). */
      readonly dirs: Readonly<Record<string, string>>;
    };

export interface ProcessHandle {
  /** runc's `--root`. */
  readonly runcRoot: string;
  /** The container's id as runc knows it. */
  readonly id: string;
  /** The mounted (merged) root filesystem, as the host sees it. */
  readonly rootfs: string;
  readonly cgroupPaths: CgroupPaths;
  /** The main process, as the host sees it. */
  readonly pid: number;
  readonly tty: boolean;
  /**
   * The monitor's bundle directory: conmon keeps `attach` (SOCK_SEQPACKET) and `ctl` (a FIFO)
   * there. Attach and resize of the main process need it; exec does not.
   */
  readonly bundle?: string | undefined;
  /** The attach socket, when it is not `<bundle>/attach` (conmon's symlinked short path). */
  readonly attachSocket?: string | undefined;
  /** The monitor's k8s-file log of the main process (attach reads output from it). */
  readonly logPath?: string | undefined;
  /**
   * Bind mounts and volumes by target: from the host they are not under the merged directory,
   * so copy reads and writes them at their sources.
   */
  readonly mounts?: readonly ContainerMount[] | undefined;
  /** `read_only: true`: copyTo refuses to write into the rootfs, as Docker does. */
  readonly readOnlyRootfs?: boolean | undefined;
  /** The runc binary; default /usr/sbin/runc. */
  readonly runc?: string | undefined;
  /** The conmon binary (TTY exec); default /usr/bin/conmon. */
  readonly conmon?: string | undefined;
}
