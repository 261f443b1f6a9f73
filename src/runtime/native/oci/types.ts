/**
 * The part of the OCI runtime spec (runtime-spec 1.0.2-dev, what runc 1.1.5 reads) that berth
 * writes into a bundle's `config.json`. Fields are declared in the order runtime-spec's Go structs
 * declare them, and built in that order, so `JSON.stringify` gives the same text dockerd writes and
 * a golden file can be compared with one taken from Docker. Optional fields are left out rather
 * than written empty, as Go's `omitempty` does.
 */

export interface OciUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids?: readonly number[];
}

export interface OciCapabilities {
  readonly bounding?: readonly string[];
  readonly effective?: readonly string[];
  readonly permitted?: readonly string[];
}

export interface OciRlimit {
  /** `RLIMIT_NOFILE`, … */
  readonly type: string;
  readonly hard: number;
  readonly soft: number;
}

export interface OciProcess {
  readonly terminal?: boolean;
  /** runc sizes the terminal with it as it makes it, before the process runs. */
  readonly consoleSize?: { readonly height: number; readonly width: number };
  readonly user: OciUser;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly capabilities: OciCapabilities;
  readonly rlimits?: readonly OciRlimit[];
  readonly noNewPrivileges?: boolean;
  readonly oomScoreAdj: number;
}

export interface OciRoot {
  readonly path: string;
  readonly readonly?: boolean;
}

export interface OciMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

export interface OciDeviceRule {
  readonly allow: boolean;
  readonly type?: "a" | "b" | "c";
  readonly major?: number;
  readonly minor?: number;
  readonly access?: string;
}

export interface OciMemory {
  readonly limit?: number;
  readonly reservation?: number;
  readonly swap?: number;
  readonly swappiness?: number;
  readonly disableOOMKiller: boolean;
}

export interface OciCpu {
  readonly shares: number;
  readonly quota?: number;
  readonly period?: number;
  readonly cpus?: string;
  readonly mems?: string;
  readonly realtimePeriod?: number;
  readonly realtimeRuntime?: number;
}

export interface OciBlockDeviceRate {
  readonly major: number;
  readonly minor: number;
  readonly rate: number;
}

export interface OciBlockIO {
  readonly weight: number;
  readonly weightDevice?: readonly {
    readonly major: number;
    readonly minor: number;
    readonly weight: number;
  }[];
  readonly throttleReadBpsDevice?: readonly OciBlockDeviceRate[];
  readonly throttleWriteBpsDevice?: readonly OciBlockDeviceRate[];
  readonly throttleReadIOPSDevice?: readonly OciBlockDeviceRate[];
  readonly throttleWriteIOPSDevice?: readonly OciBlockDeviceRate[];
}

export interface OciResources {
  readonly devices: readonly OciDeviceRule[];
  readonly memory: OciMemory;
  readonly cpu: OciCpu;
  readonly pids?: { readonly limit: number };
  readonly blockIO: OciBlockIO;
}

export type OciNamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup";

export interface OciNamespace {
  readonly type: OciNamespaceType;
  /** Join this namespace instead of making a new one. */
  readonly path?: string;
}

/** A device node runc creates inside the container (`linux.devices`). */
export interface OciDevice {
  readonly path: string;
  readonly type: "b" | "c";
  readonly major: number;
  readonly minor: number;
  readonly fileMode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface OciSeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo?: number;
  readonly op: string;
}

export interface OciSeccompSyscall {
  readonly names: readonly string[];
  readonly action: string;
  readonly errnoRet?: number;
  readonly args?: readonly OciSeccompArg[];
}

/** `linux.seccomp` as dockerd 20.10 writes it (no `flags`, no default errno: its profile format has neither). */
export interface OciSeccomp {
  readonly defaultAction: string;
  readonly architectures?: readonly string[];
  readonly syscalls?: readonly OciSeccompSyscall[];
}

export interface OciLinux {
  readonly sysctl?: Readonly<Record<string, string>>;
  readonly resources: OciResources;
  readonly cgroupsPath: string;
  readonly namespaces: readonly OciNamespace[];
  readonly devices?: readonly OciDevice[];
  readonly seccomp?: OciSeccomp;
  readonly rootfsPropagation?: string;
  readonly maskedPaths?: readonly string[];
  readonly readonlyPaths?: readonly string[];
}

export interface OciRuntimeSpec {
  /** runc 1.1.5 vendors runtime-spec 1.0.2-dev. */
  readonly ociVersion: "1.0.2-dev";
  readonly process: OciProcess;
  readonly root: OciRoot;
  readonly hostname?: string;
  readonly mounts: readonly OciMount[];
  readonly linux: OciLinux;
  readonly annotations?: Readonly<Record<string, string>>;
}
