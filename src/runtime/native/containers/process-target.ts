/**
 * What process io (exec, attach, top, stats, copy; ../process) is given about a container, built
 * from its record and what was observed of its run, so process io needs no knowledge of records.
 */
import type { Readable } from "node:stream";
import { ApiError } from "../../errors.js";
import type { AttachOptions, ExecSession, ExecSpec, Stats, StreamSession } from "../../runtime.js";
import { cgroupDirs } from "./cgroups.js";
import type { ContainerContext } from "./context.js";
import type { Observed } from "./observe.js";
import type { ContainerRecord } from "./records.js";
import { hostMounts } from "./volume-mounts.js";

/** What process io (exec, attach, top, stats, copy) is given about a container. */
export interface ProcessTarget {
  readonly runcRoot: string;
  readonly id: string;
  /** The merged rootfs directory. */
  readonly rootfs: string;
  readonly cgroupPaths: readonly string[];
  /** `cgroup_parent`, when the container has one (its cgroups are under it). */
  readonly cgroupParent: string | undefined;
  /** The init's PID; undefined when the container does not run. */
  readonly pid: number | undefined;
  readonly bundle: string;
  readonly attachSocket: string;
  /** The monitor's k8s-file log of the main process. */
  readonly logPath: string;
  readonly tty: boolean;
  readonly running: boolean;
  /** Bind mounts and volumes: from the host they are not under the merged rootfs, so copy goes to their sources. */
  readonly mounts: readonly {
    readonly source: string;
    readonly target: string;
    readonly readOnly: boolean;
  }[];
  /** `read_only`: copy refuses to write into the rootfs. */
  readonly readOnlyRootfs: boolean;
}

/** The process-io part (exec, attach, top, stats, copy), given per call what it needs. */
export interface ProcessIo {
  exec(target: ProcessTarget, spec: ExecSpec): Promise<ExecSession>;
  attach(target: ProcessTarget, options: AttachOptions): Promise<StreamSession>;
  resize(target: ProcessTarget, size: { readonly rows: number; readonly cols: number }): Promise<void>;
  top(
    target: ProcessTarget,
    psArgs?: string,
  ): Promise<{ readonly titles: readonly string[]; readonly processes: readonly (readonly string[])[] }>;
  stats(
    target: ProcessTarget,
    options: { readonly stream?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<Stats>;
  copyTo(target: ProcessTarget, path: string, tar: Readable): Promise<void>;
  copyFrom(target: ProcessTarget, path: string): Promise<Readable>;
}

export function targetOf(ctx: ContainerContext, record: ContainerRecord, observed: Observed): ProcessTarget {
  const layout = ctx.layoutOf(record.id);
  return {
    runcRoot: ctx.paths.runc,
    id: record.id,
    rootfs: layout.rootfs,
    cgroupPaths: cgroupDirs(record.id, record.spec.cgroupParent),
    cgroupParent: record.spec.cgroupParent,
    pid: observed.kind === "running" || observed.kind === "unstarted" ? observed.pid : undefined,
    bundle: layout.bundle,
    attachSocket: layout.attachSocket,
    logPath: layout.log,
    tty: record.spec.tty === true,
    running: observed.kind === "running",
    mounts: hostMounts(ctx.paths, record.spec),
    readOnlyRootfs: record.spec.readOnlyRootfs === true,
  };
}

export function processIoOf(ctx: ContainerContext): ProcessIo {
  if (!ctx.processIo) throw new ApiError("exec, attach, top, stats and copy are not available natively yet");
  return ctx.processIo;
}
