/**
 * ContainerSpec + image config → runc's `config.json`, as Docker 20.10's daemon writes it for the
 * same container (moby v20.10.24 `daemon/oci_linux.go` createSpec, checked field by field against
 * config.json files dockerd 20.10.24 wrote on this kind of host: see the goldens in
 * test/unit/runtime/native/oci/). Pure: everything read from the host (user ids, device nodes,
 * volume paths, the network namespace) comes in resolved.
 *
 * seccomp is Docker's default profile, or the `security_opt: seccomp=…` one, or none (privileged,
 * `unconfined`), reduced to the container's capabilities and the host as dockerd does (seccomp.ts).
 *
 * Left out, on purpose:
 * - AppArmor and SELinux labels: dockerd sets `docker-default` only where AppArmor is enabled;
 *   berth loads no profile. `apparmor=…` and `label=…` are accepted and ignored.
 * - The libnetwork prestart hook: the network comes in as a namespace path to join.
 * - The `time` namespace (newer moby), which runc 1.1.5 rejects.
 * - Docker's default sysctls are written without checking the host has them (kernels since 4.11 do).
 * - rlimits beyond `ulimits`: dockerd adds none (its `default-ulimits` is empty), so the process
 *   inherits its parent's limits, under Docker the shim's, here the monitor's.
 * - `network_mode: host`: Docker joins its own handle on the host's namespace; no namespace is the
 *   same thing.
 * - `ipc: shareable` is a private IPC namespace here (Docker backs it with a host shm directory
 *   other containers may join); `ipc: container:x` and `pid: container:x` are refused.
 */
import os from "node:os";
import path from "node:path";
import { InvalidRequestError } from "../../errors.js";
import type { ContainerSpec, ImageInfo } from "../../runtime.js";
import { containerCapabilities } from "./capabilities.js";
import type { CgroupFeatures } from "./cgroups.js";
import type { BlockDeviceNumbers, ResolvedDevice } from "./devices.js";
import { containerMounts, INIT_PATH_IN_CONTAINER } from "./mounts.js";
import {
  blockIOResources,
  checkResources,
  cpuResources,
  memoryResources,
  pidsResources,
  resourceWarnings,
  rlimits,
} from "./resources.js";
import { containerSeccomp } from "./seccomp.js";
import type {
  OciCapabilities,
  OciDeviceRule,
  OciNamespace,
  OciNamespaceType,
  OciRuntimeSpec,
} from "./types.js";
import type { ResolvedUser } from "./user.js";

/** The image config fields the spec reads (as `ImageInfo.config` carries them). */
export type OciImageInput = Pick<
  ImageInfo["config"],
  "env" | "cmd" | "entrypoint" | "workingDir" | "user" | "stopSignal"
>;

/** The same fields as an OCI image config's `config` object spells them (null where unset). */
export interface OciImageRunConfig {
  readonly Env?: readonly string[] | null | undefined;
  readonly Entrypoint?: readonly string[] | null | undefined;
  readonly Cmd?: readonly string[] | null | undefined;
  readonly WorkingDir?: string | undefined;
  readonly User?: string | undefined;
  readonly StopSignal?: string | undefined;
}

function isRunConfig(image: OciImageInput | OciImageRunConfig): image is OciImageRunConfig {
  return !("env" in image);
}

/** Either spelling of the image config as berth's (`ImageInfo.config`) fields. */
export function imageInput(image: OciImageInput | OciImageRunConfig): OciImageInput {
  if (!isRunConfig(image)) return image;
  return {
    env: image.Env ?? [],
    cmd: image.Cmd ?? undefined,
    entrypoint: image.Entrypoint ?? undefined,
    workingDir: image.WorkingDir,
    user: image.User,
    stopSignal: image.StopSignal,
  };
}

export interface OciSpecInput {
  readonly spec: ContainerSpec;
  /** berth's `ImageInfo.config` fields, or the OCI image config's `config` object. */
  readonly image: OciImageInput | OciImageRunConfig;
  /** The container's root filesystem (the overlay's merged directory). */
  readonly rootfs: string;
  /** From `resolveUser` (user.ts). */
  readonly user: ResolvedUser;
  /**
   * The container's hostname: `spec.hostname`, else what the caller chose (Docker: the id's first
   * 12 characters; with `network_mode: host`, the host's name).
   */
  readonly hostname: string;
  readonly hostsPath?: string | undefined;
  readonly resolvPath?: string | undefined;
  readonly hostnamePath?: string | undefined;
  /**
   * A network namespace to join (made by the network layer, or `/proc/<pid>/ns/net` of another
   * container for `container:`). Without it: no network namespace for `network_mode: host`, a new
   * empty one (loopback only) otherwise.
   */
  readonly netnsPath?: string | undefined;
  /** catatonit or tini on the host, bind-mounted as Docker mounts docker-init when `init: true`. */
  readonly initPath?: string | undefined;
  /** runc's cgroupsPath (cgroupfs driver): `cgroupsPathFor(id, spec.cgroupParent)`. */
  readonly cgroupsPath: string;
  readonly cgroupVersion: 1 | 2;
  /** Swap accounting exists (`memory.memsw.*` on v1): without it, swap is left unlimited, as Docker does. */
  readonly memswAvailable?: boolean | undefined;
  /** The host's optional cgroup files (`cgroupHost().features`); absent, those limits are discarded. */
  readonly cgroupFeatures?: CgroupFeatures | undefined;
  /** Numbers of the block devices the blkio limits name (`blockDeviceNumbers`). */
  readonly blockDevices?: Readonly<Record<string, BlockDeviceNumbers>> | undefined;
  /** Host paths of `volume` mounts by target, resolved by the volumes layer. */
  readonly volumeSources?: Readonly<Record<string, string>> | undefined;
  /** Device nodes from `resolveDevices(spec.devices)`; for a privileged container, `hostDevices()`. */
  readonly devices?: readonly ResolvedDevice[] | undefined;
  /** The host's bounding set (`hostCapabilities()`): all a privileged container may get; default every capability. */
  readonly boundingCapabilities?: readonly string[] | undefined;
  /** The file `security_opt: seccomp=<path>` names, as `readSeccompProfile` read it. */
  readonly seccompProfile?: string | undefined;
  /** The host's `process.arch` (default: this one): picks the seccomp profile's architectures and rules. */
  readonly arch?: string | undefined;
  /** The host's `os.release()` (default: this one): the seccomp rules that need a kernel version. */
  readonly kernelRelease?: string | undefined;
}

/** Docker's PATH when the image sets none (`system.DefaultPathEnv`). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];

const READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/** Docker's device cgroup: deny all, then null, zero, full, tty, console, ptmx; fuse denied. */
const DEFAULT_DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
  { allow: false, type: "c", major: 10, minor: 229, access: "rwm" },
];

/**
 * Entrypoint and command with Docker's override rules: an entrypoint given by the service drops the
 * image's command; an empty one (`entrypoint: []`) also drops the image's entrypoint.
 */
export function processArgs(spec: ContainerSpec, image: OciImageInput): string[] {
  let entrypoint = spec.entrypoint;
  let command = spec.command;
  if ((entrypoint?.length ?? 0) === 0) {
    if ((command?.length ?? 0) === 0) command = image.cmd;
    if (entrypoint === undefined) entrypoint = image.entrypoint;
  }
  const args = [...(entrypoint ?? []), ...(command ?? [])];
  if (args.length === 0) throw new InvalidRequestError("No command specified");
  return args;
}

function envKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(0, eq);
}

/**
 * The process environment: the service's variables, then the image's it does not override
 * (Docker's config merge), laid over PATH, HOSTNAME and (with a TTY) TERM=xterm
 * (`Container.CreateDaemonEnvironment`); a name without `=` unsets it.
 */
export function processEnv(spec: ContainerSpec, image: OciImageInput, hostname: string): string[] {
  const own = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const ownKeys = new Set(own.map(envKey));
  const merged =
    own.length === 0 ? [...image.env] : [...own, ...image.env.filter((e) => !ownKeys.has(envKey(e)))];

  const env: (string | undefined)[] = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`];
  if (spec.tty === true) env.push("TERM=xterm");
  const index = new Map(env.map((e, i) => [envKey(e ?? ""), i]));
  for (const entry of merged) {
    const at = index.get(envKey(entry));
    if (!entry.includes("=")) {
      if (at !== undefined) env[at] = undefined;
    } else if (at !== undefined) env[at] = entry;
    else env.push(entry);
  }
  return env.filter((e): e is string => e !== undefined);
}

function workingDir(spec: ContainerSpec, image: OciImageInput): string {
  const dir = spec.workingDir !== undefined && spec.workingDir !== "" ? spec.workingDir : image.workingDir;
  if (dir === undefined || dir === "") return "/";
  if (!dir.startsWith("/")) {
    throw new InvalidRequestError(
      `the working directory '${dir}' is invalid, it needs to be an absolute path`,
    );
  }
  return path.posix.normalize(dir).replace(/(.)\/$/, "$1");
}

/** `no-new-privileges`, `no-new-privileges=true|false` (or `:`); Docker's errors for anything it does not know. */
export function noNewPrivileges(securityOpt: readonly string[] = []): boolean {
  let value = false;
  for (const opt of securityOpt) {
    if (opt === "no-new-privileges") {
      value = true;
      continue;
    }
    if (opt === "disable") continue;
    const sep = opt.includes("=") ? "=" : opt.includes(":") ? ":" : undefined;
    if (sep === undefined) throw new InvalidRequestError(`invalid --security-opt 1: "${opt}"`);
    const at = opt.indexOf(sep);
    const [key, raw] = [opt.slice(0, at), opt.slice(at + 1)];
    if (key === "label" || key === "apparmor" || key === "seccomp") continue;
    if (key !== "no-new-privileges") throw new InvalidRequestError(`invalid --security-opt 2: "${opt}"`);
    const parsed = parseGoBool(raw);
    if (parsed === undefined) throw new InvalidRequestError(`invalid --security-opt 2: "${opt}"`);
    value = parsed;
  }
  return value;
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

/** A mode other than private/host (`container:x` for pid and ipc) needs another container's namespace. */
function hostOrPrivate(
  kind: string,
  mode: string | undefined,
  privateModes: readonly string[],
): "host" | "private" {
  if (mode === "host") return "host";
  if (mode === undefined || privateModes.includes(mode)) return "private";
  if (mode.startsWith("container:")) {
    throw new InvalidRequestError(`${kind} mode ${mode} is not supported by the native runtime`);
  }
  throw new InvalidRequestError(`Invalid ${kind.toUpperCase()} mode: ${mode}`);
}

function namespaces(input: OciSpecInput): OciNamespace[] {
  const { spec } = input;
  const network = spec.networkMode ?? "";
  if (input.netnsPath === undefined && network.startsWith("container:")) {
    throw new InvalidRequestError(`network_mode ${network} needs that container's network namespace`);
  }
  const omit = new Set<OciNamespaceType>();
  if (input.netnsPath === undefined && network === "host") omit.add("network");
  if (hostOrPrivate("uts", spec.utsMode, [""]) === "host") omit.add("uts");
  if (hostOrPrivate("pid", spec.pidMode, ["", "private"]) === "host") omit.add("pid");
  if (hostOrPrivate("ipc", spec.ipcMode, ["", "private", "shareable", "none"]) === "host") omit.add("ipc");
  const order: OciNamespaceType[] = ["mount", "network", "uts", "pid", "ipc"];
  // Docker's default: its own cgroup namespace on cgroup v2 (privileged or not), the host's on v1.
  const cgroupns = spec.cgroupnsMode ?? "";
  if (cgroupns === "private" || (cgroupns === "" && input.cgroupVersion === 2)) order.push("cgroup");
  return order
    .filter((type) => !omit.has(type))
    .map((type) =>
      type === "network" && input.netnsPath !== undefined ? { type, path: input.netnsPath } : { type },
    );
}

function capabilities(uid: number, caps: readonly string[]): OciCapabilities {
  // A non-root process gets the bounding set only, as execve would leave it (moby SetCapabilities).
  return uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps };
}

function sysctls(spec: ContainerSpec): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (spec.domainname !== undefined && spec.domainname !== "") out["kernel.domainname"] = spec.domainname;
  const network = spec.networkMode ?? "";
  if (network !== "host" && !network.startsWith("container:")) {
    // Docker's defaults for a container with its own network: ping without CAP_NET_RAW, any port without NET_BIND_SERVICE.
    out["net.ipv4.ping_group_range"] = "0 2147483647";
    out["net.ipv4.ip_unprivileged_port_start"] = "0";
  }
  Object.assign(out, spec.sysctls ?? {});
  const keys = Object.keys(out).sort();
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((k) => [k, out[k] ?? ""]));
}

function deviceRules(spec: ContainerSpec, devices: readonly ResolvedDevice[]): OciDeviceRule[] {
  if (spec.privileged === true) return [{ allow: true, access: "rwm" }];
  return [
    ...DEFAULT_DEVICE_RULES,
    ...devices.map((d) => ({
      allow: true,
      type: d.type,
      major: d.major,
      minor: d.minor,
      access: d.permissions,
    })),
    ...(spec.resources?.deviceCgroupRules ?? []).map(deviceCgroupRule),
  ];
}

/** docker's `--device-cgroup-rule` syntax: `<a|b|c> <major|*>:<minor|*> <r|w|m…>`. */
const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** One `device_cgroup_rules` entry as runc's rule (`*` is any major or minor: the field left out). */
export function deviceCgroupRule(rule: string): OciDeviceRule {
  const match = DEVICE_CGROUP_RULE.exec(rule.trim());
  if (match === null) throw new InvalidRequestError(`invalid device cgroup format '${rule}'`);
  const [, type, major, minor, access] = match;
  return {
    allow: true,
    type: type as "a" | "b" | "c",
    ...(major !== "*" ? { major: Number(major) } : {}),
    ...(minor !== "*" ? { minor: Number(minor) } : {}),
    access: access ?? "",
  };
}

/**
 * Settings only another engine honours, refused as Docker refuses them on a host without that
 * support, instead of being dropped without a word.
 */
function checkEngineSettings(spec: ContainerSpec): void {
  const userns = spec.usernsMode ?? "";
  if (userns !== "" && userns !== "host") throw new InvalidRequestError(`invalid USER mode: ${userns}`);
  const runtime = spec.runtime ?? "";
  if (runtime !== "" && runtime !== "runc")
    throw new InvalidRequestError(`unknown or invalid runtime name: ${runtime}`);
  if (Object.keys(spec.storageOpt ?? {}).length > 0) {
    throw new InvalidRequestError(
      "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
    );
  }
  const volumeDriver = spec.volumeDriver ?? "";
  if (volumeDriver !== "" && volumeDriver !== "local") {
    throw new InvalidRequestError(
      `error looking up volume plugin ${volumeDriver}: plugin "${volumeDriver}" not found`,
    );
  }
  const oomScoreAdj = spec.oomScoreAdj ?? 0;
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000) {
    throw new InvalidRequestError(`Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  const cgroupns = spec.cgroupnsMode ?? "";
  if (cgroupns !== "" && cgroupns !== "host" && cgroupns !== "private") {
    throw new InvalidRequestError(`invalid cgroup namespace mode: ${cgroupns}`);
  }
}

/** What Docker warns about when it creates this container on this host. */
export function specWarnings(input: OciSpecInput): string[] {
  return resourceWarnings(input.spec.resources ?? {}, resourceHost(input));
}

function resourceHost(input: OciSpecInput) {
  return { memswAvailable: input.memswAvailable === true, features: input.cgroupFeatures };
}

export function ociSpec(input: OciSpecInput): OciRuntimeSpec {
  const { spec, user } = input;
  const image = imageInput(input.image);
  const resources = spec.resources ?? {};
  checkResources(resources);
  checkEngineSettings(spec);
  for (const rule of resources.deviceCgroupRules ?? []) deviceCgroupRule(rule);

  const pidPrivate = hostOrPrivate("pid", spec.pidMode, ["", "private"]) === "private";
  const withInit = spec.init === true && pidPrivate;
  if (withInit && input.initPath === undefined) {
    throw new InvalidRequestError("init: true needs an init binary (catatonit or tini) on the host");
  }
  let args = processArgs(spec, image);
  if (withInit) args = [INIT_PATH_IN_CONTAINER, "--", ...args];

  const { mounts, rootfsPropagation } = containerMounts({
    spec,
    resolvPath: input.resolvPath,
    hostnamePath: input.hostnamePath,
    hostsPath: input.hostsPath,
    volumeSources: input.volumeSources,
    initPath: withInit ? input.initPath : undefined,
  });

  const limits = rlimits(resources);
  const sysctl = sysctls(spec);
  const pids = pidsResources(resources);
  const devices = input.devices ?? [];
  const privileged = spec.privileged === true;
  const utsHost = spec.utsMode === "host";
  const caps = containerCapabilities(spec.capAdd, spec.capDrop, privileged, input.boundingCapabilities);
  // After the capabilities, as moby's WithSeccomp reads the final bounding set.
  const seccomp = containerSeccomp({
    securityOpt: spec.securityOpt,
    privileged,
    bounding: caps,
    host: { arch: input.arch ?? process.arch, kernelRelease: input.kernelRelease ?? os.release() },
    profileText: input.seccompProfile,
  });

  return {
    ociVersion: "1.0.2-dev",
    process: {
      ...(spec.tty === true ? { terminal: true } : {}),
      ...(spec.tty === true && spec.consoleSize !== undefined
        ? { consoleSize: { height: spec.consoleSize.rows, width: spec.consoleSize.cols } }
        : {}),
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env: processEnv(spec, image, input.hostname),
      cwd: workingDir(spec, image),
      capabilities: capabilities(user.uid, caps),
      ...(limits !== undefined ? { rlimits: limits } : {}),
      ...(noNewPrivileges(spec.securityOpt) ? { noNewPrivileges: true } : {}),
      oomScoreAdj: spec.oomScoreAdj ?? 0,
    },
    root: { path: input.rootfs, ...(spec.readOnlyRootfs === true ? { readonly: true } : {}) },
    // With the host's UTS namespace the hostname is the host's: Docker writes none.
    ...(utsHost ? {} : { hostname: input.hostname }),
    mounts,
    linux: {
      ...(sysctl !== undefined ? { sysctl } : {}),
      resources: {
        devices: deviceRules(spec, devices),
        memory: memoryResources(resources, resourceHost(input)),
        cpu: cpuResources(resources, resourceHost(input)),
        ...(pids !== undefined ? { pids } : {}),
        blockIO: blockIOResources(resources, resourceHost(input), input.blockDevices ?? {}),
      },
      cgroupsPath: input.cgroupsPath,
      namespaces: namespaces(input),
      ...(devices.length > 0
        ? {
            devices: devices.map((d) => ({
              path: d.path,
              type: d.type,
              major: d.major,
              minor: d.minor,
              fileMode: d.fileMode,
              uid: d.uid,
              gid: d.gid,
            })),
          }
        : {}),
      ...(seccomp !== undefined ? { seccomp } : {}),
      ...(rootfsPropagation !== undefined ? { rootfsPropagation } : {}),
      ...(privileged || spec.unmaskedPaths === true
        ? {}
        : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS }),
    },
    ...(spec.annotations !== undefined && Object.keys(spec.annotations).length > 0
      ? { annotations: { ...spec.annotations } }
      : {}),
  };
}

/** The spec as the text runc reads (`config.json`), indented as a golden file compares it. */
export function ociSpecText(spec: OciRuntimeSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}
