/**
 * A seccomp profile in Docker's format (moby `profiles/seccomp/seccomp.go`, v20.10): what
 * `security_opt: seccomp=<file>` holds and what Docker's default profile is written in. Rules may be
 * conditioned on the container's capabilities, the host's architecture and its kernel version.
 */
import type { OciSeccompArg } from "./types.js";

/** Conditions of a rule: every listed capability (bounding set), one of the arches, a kernel at least this. */
export interface DockerSeccompFilter {
  readonly caps?: readonly string[] | undefined;
  /** libseccomp's names: amd64, x86, arm64, arm, s390x, … */
  readonly arches?: readonly string[] | undefined;
  /** "<kernel>.<major>", e.g. "4.8". */
  readonly minKernel?: string | undefined;
}

export interface DockerSeccompSyscall {
  /** The old spelling: one syscall (never with `names`). */
  readonly name?: string | undefined;
  readonly names?: readonly string[] | undefined;
  readonly action: string;
  readonly errnoRet?: number | undefined;
  readonly args?: readonly OciSeccompArg[] | null | undefined;
  readonly comment?: string | undefined;
  readonly includes?: DockerSeccompFilter | undefined;
  readonly excludes?: DockerSeccompFilter | undefined;
}

export interface DockerSeccompArch {
  readonly architecture: string;
  readonly subArchitectures?: readonly string[] | null | undefined;
}

export interface DockerSeccompProfile {
  readonly defaultAction: string;
  /** The old spelling, kept by Docker for compatibility (never with `archMap`). */
  readonly architectures?: readonly string[] | null | undefined;
  readonly archMap?: readonly DockerSeccompArch[] | null | undefined;
  readonly syscalls?: readonly DockerSeccompSyscall[] | null | undefined;
}
