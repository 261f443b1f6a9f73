/**
 * The Runtime interface: the only way the engine touches containers. Both backends (Docker Engine
 * API, native runc) implement it, and its types are berth's own — no engine JSON leaks out.
 *
 * Conventions:
 * - Names or IDs are accepted wherever an object is referred to.
 * - `inspect` returns `undefined` for an object that does not exist; other calls on a missing
 *   object reject with NotFoundError. Calls that would change nothing (start a running container,
 *   stop a stopped one) succeed.
 * - Every long-running call takes an AbortSignal; aborting ends streams cleanly (no error).
 * - Errors are the kinds in ./errors.ts: NotFound, Conflict, EngineUnavailable, Invalid, Api.
 */
import type { Readable, Writable } from "node:stream";

export type Labels = Readonly<Record<string, string>>;

/** Label filter terms, ANDed: `key` (present) or `key=value`. */
export type LabelTerms = readonly string[];

export interface RuntimeInfo {
  /** The backend's name in the registry (src/runtime/backends.ts), e.g. `docker`. */
  readonly kind: string;
  /** e.g. "Docker Engine", "Podman Engine", "berth native". */
  readonly name: string;
  readonly version: string;
  /** The API version in use after negotiation (Docker); undefined for native. */
  readonly apiVersion?: string | undefined;
  readonly os: string;
  readonly arch: string;
}

// --- images -----------------------------------------------------------------------------------

export interface ImageInfo {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly created: Date;
  /** When a tag last moved onto the image (a pull, build or tag), when the runtime keeps it. */
  readonly lastTagTime?: Date | undefined;
  readonly size: number;
  readonly labels: Labels;
  /** `os/arch[/variant]` the image is built for, when the runtime says. */
  readonly platform?: string | undefined;
  readonly config: {
    readonly env: readonly string[];
    readonly cmd?: readonly string[] | undefined;
    readonly entrypoint?: readonly string[] | undefined;
    readonly workingDir?: string | undefined;
    readonly user?: string | undefined;
    readonly exposedPorts: readonly string[];
    readonly volumes: readonly string[];
    readonly stopSignal?: string | undefined;
  };
}

export interface ImageSummary {
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly size: number;
  readonly labels: Labels;
  readonly created: Date;
}

/** One progress report of a pull, push, build or import. */
export interface ProgressEvent {
  /** Layer or step the report is about, when there is one. */
  readonly id?: string | undefined;
  /** e.g. "Downloading", "Pull complete", "Step 2/5 : RUN make". */
  readonly status: string;
  readonly current?: number | undefined;
  readonly total?: number | undefined;
  /** On the report that begins a build step: which step of how many, and its instruction. */
  readonly step?: BuildStep | undefined;
}

/** A build step as it begins: `{ step: 2, total: 5, text: "RUN make" }`. */
export interface BuildStep {
  readonly step: number;
  readonly total: number;
  readonly text: string;
}
export type OnProgress = (event: ProgressEvent) => void;

export interface RegistryAuth {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly serverAddress?: string | undefined;
  readonly identityToken?: string | undefined;
}

export interface PullOptions {
  readonly platform?: string | undefined;
  /** Defaults to what ~/.docker/config.json holds for the registry (Docker backend). */
  readonly auth?: RegistryAuth | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface BuildSpec {
  /** Absolute directory sent as the build context (`.dockerignore` honoured). */
  readonly context: string;
  /** Relative to the context (it may lie outside it); default `Dockerfile`. */
  readonly dockerfile?: string | undefined;
  /** The Dockerfile's text, instead of a file (`dockerfile_inline`). */
  readonly dockerfileInline?: string | undefined;
  readonly tags: readonly string[];
  readonly args?: Readonly<Record<string, string>> | undefined;
  readonly target?: string | undefined;
  readonly labels?: Labels | undefined;
  readonly cacheFrom?: readonly string[] | undefined;
  readonly networkMode?: string | undefined;
  readonly pull?: boolean | undefined;
  readonly noCache?: boolean | undefined;
  readonly platform?: string | undefined;
  readonly extraHosts?: readonly string[] | undefined;
  readonly shmSizeBytes?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ImageImportOptions {
  /** `repo[:tag]` to name the imported image. */
  readonly reference: string;
  /** Dockerfile-style instructions applied to the config, e.g. `CMD ["/bin/sh"]`. */
  readonly changes?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface Images {
  inspect(reference: string): Promise<ImageInfo | undefined>;
  list(filter?: { readonly labels?: LabelTerms; readonly reference?: string }): Promise<ImageSummary[]>;
  pull(reference: string, options: PullOptions, onProgress?: OnProgress): Promise<void>;
  push(reference: string, options: PullOptions, onProgress?: OnProgress): Promise<void>;
  build(spec: BuildSpec, onProgress?: OnProgress): Promise<{ readonly id: string }>;
  tag(source: string, target: string): Promise<void>;
  remove(
    reference: string,
    options?: { readonly force?: boolean; readonly noPrune?: boolean },
  ): Promise<void>;
  /** A root filesystem tarball becomes an image (how tests make images with no registry). */
  importRootfs(
    tar: Readable,
    options: ImageImportOptions,
    onProgress?: OnProgress,
  ): Promise<{ readonly id: string }>;
}

// --- networks ---------------------------------------------------------------------------------

export interface IpamPoolSpec {
  readonly subnet?: string | undefined;
  readonly ipRange?: string | undefined;
  readonly gateway?: string | undefined;
  readonly auxAddresses?: Readonly<Record<string, string>> | undefined;
}

export interface NetworkSpec {
  readonly name: string;
  readonly driver?: string | undefined;
  readonly driverOpts?: Readonly<Record<string, string>> | undefined;
  readonly internal?: boolean | undefined;
  readonly attachable?: boolean | undefined;
  readonly enableIPv6?: boolean | undefined;
  readonly ipam?:
    { readonly driver?: string | undefined; readonly pools: readonly IpamPoolSpec[] } | undefined;
  readonly labels: Labels;
}

export interface NetworkInfo {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly enableIPv6: boolean;
  readonly labels: Labels;
  readonly ipam: { readonly driver: string; readonly pools: readonly IpamPoolSpec[] };
  /** Attached containers by ID. */
  readonly containers: Readonly<
    Record<string, { readonly name: string; readonly ipv4Address?: string | undefined }>
  >;
  readonly created: Date;
}

export interface EndpointSpec {
  readonly aliases?: readonly string[] | undefined;
  readonly ipv4Address?: string | undefined;
  readonly ipv6Address?: string | undefined;
  readonly links?: readonly string[] | undefined;
  readonly macAddress?: string | undefined;
}

export interface Networks {
  /**
   * True when two creates of one name that race can both succeed, leaving two networks of that
   * name (Docker 20.10 does, CheckDuplicate notwithstanding), after which the name is ambiguous.
   * The engine then keeps the oldest of a project's networks of the name right after creating one.
   */
  readonly createMayDuplicate?: boolean | undefined;
  create(spec: NetworkSpec): Promise<{ readonly id: string }>;
  inspect(nameOrId: string): Promise<NetworkInfo | undefined>;
  /** Exact name match when `name` is given (engines match substrings; this does not). */
  list(filter?: { readonly labels?: LabelTerms; readonly name?: string }): Promise<NetworkInfo[]>;
  /** A network still in use rejects with ConflictError, whose message says why when no container is attached. */
  remove(nameOrId: string): Promise<void>;
  connect(network: string, container: string, endpoint?: EndpointSpec): Promise<void>;
  disconnect(network: string, container: string, options?: { readonly force?: boolean }): Promise<void>;
}

// --- volumes ----------------------------------------------------------------------------------

export interface VolumeSpec {
  readonly name: string;
  readonly driver?: string | undefined;
  readonly driverOpts?: Readonly<Record<string, string>> | undefined;
  readonly labels: Labels;
}

export interface VolumeInfo {
  readonly name: string;
  readonly driver: string;
  readonly mountpoint: string;
  readonly labels: Labels;
  readonly options: Readonly<Record<string, string>>;
  readonly created: Date | undefined;
}

export interface Volumes {
  create(spec: VolumeSpec): Promise<VolumeInfo>;
  inspect(name: string): Promise<VolumeInfo | undefined>;
  list(filter?: { readonly labels?: LabelTerms; readonly name?: string }): Promise<VolumeInfo[]>;
  remove(name: string, options?: { readonly force?: boolean }): Promise<void>;
}

// --- containers -------------------------------------------------------------------------------

export interface PortBinding {
  readonly containerPort: number;
  readonly protocol: "tcp" | "udp" | "sctp";
  readonly hostIp?: string | undefined;
  /** A port or a range ("8000-8010"); undefined or "" lets the engine choose. */
  readonly hostPort?: string | undefined;
}

export type MountSpec =
  | {
      readonly type: "bind";
      readonly source: string;
      readonly target: string;
      readonly readOnly?: boolean | undefined;
      readonly propagation?: string | undefined;
      /** false: fail when the source is missing instead of creating a directory. */
      readonly createHostPath?: boolean | undefined;
    }
  | {
      readonly type: "volume";
      /** Undefined for an anonymous volume. */
      readonly source?: string | undefined;
      readonly target: string;
      readonly readOnly?: boolean | undefined;
      readonly noCopy?: boolean | undefined;
      readonly subpath?: string | undefined;
      readonly labels?: Labels | undefined;
    }
  | {
      readonly type: "tmpfs";
      readonly target: string;
      readonly sizeBytes?: number | undefined;
      readonly mode?: number | undefined;
      readonly readOnly?: boolean | undefined;
    };

export interface HealthcheckSpec {
  /** `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`. */
  readonly test: readonly string[];
  readonly intervalNs?: number | undefined;
  readonly timeoutNs?: number | undefined;
  readonly startPeriodNs?: number | undefined;
  readonly startIntervalNs?: number | undefined;
  readonly retries?: number | undefined;
}

export interface RestartPolicy {
  readonly name: "no" | "always" | "on-failure" | "unless-stopped";
  readonly maximumRetryCount?: number | undefined;
}

export interface ResourceLimits {
  readonly memoryBytes?: number | undefined;
  readonly memoryReservationBytes?: number | undefined;
  /** Memory plus swap; -1 for unlimited swap. */
  readonly memorySwapBytes?: number | undefined;
  readonly nanoCpus?: number | undefined;
  readonly cpuShares?: number | undefined;
  readonly cpuQuota?: number | undefined;
  readonly cpuPeriod?: number | undefined;
  readonly cpusetCpus?: string | undefined;
  readonly pidsLimit?: number | undefined;
  readonly shmSizeBytes?: number | undefined;
  readonly ulimits?:
    readonly { readonly name: string; readonly soft: number; readonly hard: number }[] | undefined;
  /** 0–100; unset leaves the host's. */
  readonly memorySwappiness?: number | undefined;
  readonly oomKillDisable?: boolean | undefined;
  /** Microseconds. */
  readonly cpuRealtimePeriod?: number | undefined;
  readonly cpuRealtimeRuntime?: number | undefined;
  /** `c 1:3 mr`, `b *:* rwm`…: device cgroup rules added to the default ones. */
  readonly deviceCgroupRules?: readonly string[] | undefined;
  readonly blkio?: BlkioLimits | undefined;
}

/** A block device's path and a rate (bytes or operations per second). */
export interface ThrottleDevice {
  readonly path: string;
  readonly rate: number;
}

export interface BlkioLimits {
  /** 10–1000. */
  readonly weight?: number | undefined;
  readonly weightDevice?: readonly { readonly path: string; readonly weight: number }[] | undefined;
  readonly deviceReadBps?: readonly ThrottleDevice[] | undefined;
  readonly deviceReadIops?: readonly ThrottleDevice[] | undefined;
  readonly deviceWriteBps?: readonly ThrottleDevice[] | undefined;
  readonly deviceWriteIops?: readonly ThrottleDevice[] | undefined;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly labels: Labels;
  readonly command?: readonly string[] | undefined;
  readonly entrypoint?: readonly string[] | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly workingDir?: string | undefined;
  readonly user?: string | undefined;
  readonly hostname?: string | undefined;
  readonly domainname?: string | undefined;
  readonly tty?: boolean | undefined;
  /**
   * The TTY's size from its first moment (the caller's terminal at `run -it`), so the process never
   * reads a 0×0 terminal before the first resize lands. A TTY container only; engines before API
   * 1.42 ignore it (the resize after the start is what sizes it there).
   */
  readonly consoleSize?: TerminalSize | undefined;
  readonly stdinOpen?: boolean | undefined;
  /** Close stdin after the first attach detaches (what `run -i` wants: EOF reaches the process). */
  readonly stdinOnce?: boolean | undefined;
  /** The engine removes the container (and its anonymous volumes) once it exits (`run --rm -d`). */
  readonly autoRemove?: boolean | undefined;
  readonly stopSignal?: string | undefined;
  readonly stopTimeoutS?: number | undefined;
  /** `80/tcp` */
  readonly exposedPorts?: readonly string[] | undefined;
  readonly healthcheck?: HealthcheckSpec | undefined;
  readonly ports?: readonly PortBinding[] | undefined;
  readonly mounts?: readonly MountSpec[] | undefined;
  /** tmpfs mounts by target, their options as mount(8) takes them (`size=64m,mode=1770,noexec`). */
  readonly tmpfs?: Readonly<Record<string, string>> | undefined;
  readonly restart?: RestartPolicy | undefined;
  /** `bridge`, `host`, `none`, `container:<id>`, or a network name. */
  readonly networkMode?: string | undefined;
  /** Networks to join, by name, in priority order; the first is joined at create. */
  readonly networks?: Readonly<Record<string, EndpointSpec>> | undefined;
  readonly resources?: ResourceLimits | undefined;
  readonly capAdd?: readonly string[] | undefined;
  readonly capDrop?: readonly string[] | undefined;
  readonly privileged?: boolean | undefined;
  readonly readOnlyRootfs?: boolean | undefined;
  readonly securityOpt?: readonly string[] | undefined;
  readonly init?: boolean | undefined;
  /** `host:ip` */
  readonly extraHosts?: readonly string[] | undefined;
  readonly dns?: readonly string[] | undefined;
  readonly dnsSearch?: readonly string[] | undefined;
  readonly dnsOptions?: readonly string[] | undefined;
  readonly sysctls?: Readonly<Record<string, string>> | undefined;
  readonly devices?:
    readonly { readonly source: string; readonly target: string; readonly permissions: string }[] | undefined;
  readonly groupAdd?: readonly string[] | undefined;
  readonly ipcMode?: string | undefined;
  readonly pidMode?: string | undefined;
  readonly utsMode?: string | undefined;
  readonly cgroupParent?: string | undefined;
  /** `host` or `private`; unset is the engine's default (private on cgroup v2, host on v1). */
  readonly cgroupnsMode?: string | undefined;
  /** -1000–1000. */
  readonly oomScoreAdj?: number | undefined;
  /** OCI annotations for the runtime. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly usernsMode?: string | undefined;
  /** The OCI runtime's name (`runc`). */
  readonly runtime?: string | undefined;
  readonly storageOpt?: Readonly<Record<string, string>> | undefined;
  readonly volumeDriver?: string | undefined;
  /** `security_opt: systempaths=unconfined`: nothing of /proc or /sys masked or made read-only. */
  readonly unmaskedPaths?: boolean | undefined;
  readonly logging?:
    { readonly driver: string; readonly options?: Readonly<Record<string, string>> } | undefined;
  readonly volumesFrom?: readonly string[] | undefined;
  readonly links?: readonly string[] | undefined;
  readonly platform?: string | undefined;
}

export type ContainerStatus =
  "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
export type HealthStatus = "starting" | "healthy" | "unhealthy";

/** One run of a container's healthcheck (the engine keeps the last few; berth reports the newest). */
export interface HealthProbe {
  readonly exitCode: number;
  readonly output: string;
  readonly start: Date | undefined;
  readonly end: Date | undefined;
}

export interface ContainerState {
  readonly id: string;
  /** Without Docker's leading `/`. */
  readonly name: string;
  /** As the container was created from it (the reference). */
  readonly image: string;
  readonly imageId: string;
  readonly labels: Labels;
  readonly created: Date;
  readonly status: ContainerStatus;
  readonly running: boolean;
  readonly exitCode: number | undefined;
  readonly pid: number | undefined;
  readonly startedAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  /** Undefined when the container has no healthcheck. */
  readonly health: HealthStatus | undefined;
  /** The newest healthcheck run, when there is one (the dashboard shows its output on demand). */
  readonly healthProbe?: HealthProbe | undefined;
  readonly restartCount: number;
  readonly oomKilled: boolean;
  readonly error: string | undefined;
  readonly tty: boolean;
  /** The main process reads stdin (`stdin_open`): an attach may give it input. */
  readonly stdinOpen?: boolean | undefined;
  readonly networks: Readonly<
    Record<
      string,
      { readonly networkId: string; readonly ipAddress: string; readonly aliases: readonly string[] }
    >
  >;
  readonly ports: readonly PortBinding[];
  readonly mounts: readonly {
    readonly type: string;
    readonly source: string;
    readonly target: string;
    readonly name?: string | undefined;
    readonly readOnly: boolean;
  }[];
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly labels: Labels;
  readonly status: ContainerStatus;
  /**
   * The state in one line, as `ps` prints it and the engine's `State.String()` words it:
   * "Up 3 minutes (healthy)", "Exited (0) 2 seconds ago", "Created", "Restarting (1) 5 seconds ago".
   */
  readonly statusText: string;
  /** The healthcheck's verdict of a running container; undefined without one, or when not running. */
  readonly health?: HealthStatus | undefined;
  /** The exit code of an exited container; undefined for one that has not exited. */
  readonly exitCode?: number | undefined;
  readonly created: Date;
  readonly ports: readonly PortBinding[];
  /** The command line the container runs (entrypoint and command, joined), as `ps` shows it. */
  readonly command?: string | undefined;
  /** Its mounts as the engine's list gives them (`ps --format`'s Mounts and LocalVolumes). */
  readonly mounts?: readonly ListedMount[] | undefined;
  /** The names of the networks it is attached to. */
  readonly networks?: readonly string[] | undefined;
}

/** A mount of a listed container: a volume's name (none for a bind), its source and volume driver. */
export interface ListedMount {
  readonly name?: string | undefined;
  readonly source: string;
  readonly driver?: string | undefined;
}

export interface LogLine {
  readonly stream: "stdout" | "stderr";
  /** One line without its newline (a final partial line is delivered as is). */
  readonly line: string;
  /** Present when timestamps were asked for. */
  readonly time?: Date | undefined;
  /** `time` as the engine wrote it (RFC 3339, nanoseconds): what `logs -t` prints. */
  readonly timestamp?: string | undefined;
}

export interface LogOptions {
  readonly follow?: boolean | undefined;
  /** Lines from the end; default all. */
  readonly tail?: number | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  readonly timestamps?: boolean | undefined;
  readonly stdout?: boolean | undefined;
  readonly stderr?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Output of attach or exec: raw bytes, stdout and stderr kept apart (a TTY gives stdout only). */
export interface OutputChunk {
  readonly stream: "stdout" | "stderr";
  readonly data: Uint8Array;
}

export interface StreamSession {
  readonly output: AsyncIterable<OutputChunk>;
  /** Present when stdin was asked for; `end()` half-closes, so the process sees EOF. */
  readonly stdin: Writable | undefined;
  resize(size: { readonly rows: number; readonly cols: number }): Promise<void>;
  /** Ends the session (closes the connection). */
  close(): void;
}

/** A terminal's size in character cells. */
export interface TerminalSize {
  readonly rows: number;
  readonly cols: number;
}

export interface ExecSpec {
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly user?: string | undefined;
  readonly workingDir?: string | undefined;
  readonly tty?: boolean | undefined;
  /** The TTY's size from the start (as ContainerSpec.consoleSize), for a TTY exec. */
  readonly consoleSize?: TerminalSize | undefined;
  readonly stdin?: boolean | undefined;
  readonly privileged?: boolean | undefined;
  /**
   * Start the process and return at once, attached to nothing (`exec -d`): the session's output
   * is empty and its exit code 0, as Compose reports a detached exec.
   */
  readonly detach?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ExecSession extends StreamSession {
  /** Resolves once the output has ended and the process has exited. */
  exitCode(): Promise<number>;
}

export interface WaitOptions {
  readonly condition?: "not-running" | "next-exit" | "removed";
  readonly signal?: AbortSignal;
}

export interface WaitResult {
  readonly exitCode: number;
  readonly error?: string | undefined;
}

export interface AttachOptions {
  readonly stdin?: boolean | undefined;
  /** Whether the container has a TTY, when the caller knows (it made it): spares looking it up. */
  readonly tty?: boolean | undefined;
  /** Replay what the container already printed before attaching. */
  readonly logs?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface Stats {
  readonly time: Date;
  readonly cpuPercent: number;
  readonly memoryUsageBytes: number;
  readonly memoryLimitBytes: number;
  readonly networkRxBytes: number;
  readonly networkTxBytes: number;
  readonly blockReadBytes: number;
  readonly blockWriteBytes: number;
  readonly pids: number;
}

export interface Containers {
  /**
   * The container may join the networks of `spec.networks` after the first once it exists (Docker
   * before API 1.44 does), so a caller killed during the create can leave it short of networks.
   */
  create(spec: ContainerSpec): Promise<{ readonly id: string; readonly warnings: readonly string[] }>;
  start(id: string): Promise<void>;
  stop(id: string, options?: { readonly timeoutS?: number; readonly signal?: string }): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  restart(id: string, options?: { readonly timeoutS?: number }): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  remove(id: string, options?: { readonly force?: boolean; readonly volumes?: boolean }): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  inspect(id: string): Promise<ContainerState | undefined>;
  list(filter?: {
    readonly labels?: LabelTerms;
    readonly all?: boolean;
    readonly name?: string;
  }): Promise<ContainerSummary[]>;
  wait(id: string, options?: WaitOptions): Promise<WaitResult>;
  /**
   * Starts a wait and resolves once the runtime is watching, with the wait's result to come: a
   * container started after that cannot exit unseen, so `next-exit` or `removed` (an auto-removed
   * one) can be asked before the start, as Docker's CLI does for a container it runs. Undefined
   * when this runtime cannot watch ahead (the caller then waits once the container has exited).
   */
  armWait?(id: string, options?: WaitOptions): Promise<{ readonly result: Promise<WaitResult> } | undefined>;
  logs(id: string, options?: LogOptions): AsyncIterable<LogLine>;
  attach(id: string, options?: AttachOptions): Promise<StreamSession>;
  exec(id: string, spec: ExecSpec): Promise<ExecSession>;
  resize(id: string, size: { readonly rows: number; readonly cols: number }): Promise<void>;
  top(
    id: string,
    psArgs?: string,
  ): Promise<{ readonly titles: readonly string[]; readonly processes: readonly (readonly string[])[] }>;
  stats(
    id: string,
    options?: { readonly stream?: boolean; readonly signal?: AbortSignal },
  ): AsyncIterable<Stats>;
  /**
   * Extract a tar archive into `path` inside the container. `ownedByUser`: the files belong to the
   * container's `user` when it has one (Docker's `copyUIDGID`), else keep the archive's owners.
   */
  copyTo(
    id: string,
    path: string,
    tar: Readable,
    options?: { readonly ownedByUser?: boolean },
  ): Promise<void>;
  /** A tar archive of `path` inside the container. */
  copyFrom(id: string, path: string): Promise<Readable>;
}

// --- events -----------------------------------------------------------------------------------

/** What an event is about. Kinds of object berth does not use (plugins, swarm objects) are `other`. */
export type RuntimeObjectType = "container" | "image" | "network" | "volume" | "daemon" | "other";

/**
 * Actions that carry nothing beyond the common fields, named as Docker's events name them (they are
 * the names Compose users meet). Containers: create … destroy; networks: create, connect,
 * disconnect, destroy; volumes: create, mount, unmount, destroy; images: pull … save.
 */
export type PlainEventAction =
  | "create"
  | "start"
  | "restart"
  | "stop"
  | "pause"
  | "unpause"
  | "update"
  | "oom"
  | "destroy"
  | "connect"
  | "disconnect"
  | "mount"
  | "unmount"
  | "pull"
  | "push"
  | "tag"
  | "untag"
  | "delete"
  | "import"
  | "load"
  | "save";

interface RuntimeEventBase {
  readonly type: RuntimeObjectType;
  /** The object's ID (an image's reference or ID, as the runtime names it). */
  readonly id: string;
  /** The object's labels and the runtime's details about it (`name`, `image`, …), all strings. */
  readonly attributes: Labels;
  readonly time: Date;
}

/**
 * One thing that happened to an object. The set of actions is closed: a backend maps its own event
 * names onto these, so no one above the runtime reads an engine's wording (Docker's
 * `health_status: healthy` is `{action: "health", health: "healthy"}`). What berth has no name for
 * (exec and attach chatter, plugins…) is `other`, the backend's own word kept in `detail` for people
 * to read, not for code to match.
 */
export type RuntimeEvent = RuntimeEventBase &
  (
    | { readonly action: PlainEventAction }
    /** The main process exited; `exitCode` is undefined when the runtime did not say. */
    | { readonly action: "die"; readonly exitCode: number | undefined }
    /** The healthcheck's verdict changed. */
    | { readonly action: "health"; readonly health: HealthStatus }
    /** A signal was sent (`SIGKILL`, or a number as text), when the runtime says which. */
    | { readonly action: "kill"; readonly signal: string | undefined }
    /** The container's name changed; `attributes.name` is the new one. */
    | { readonly action: "rename"; readonly oldName: string | undefined }
    | { readonly action: "other"; readonly detail: string }
  );

export type RuntimeEventAction = RuntimeEvent["action"];

export interface EventFilter {
  readonly labels?: LabelTerms | undefined;
  readonly types?: readonly Exclude<RuntimeObjectType, "other">[] | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
}

export interface Runtime {
  /** The backend's name in the registry (src/runtime/backends.ts), e.g. `docker`. */
  readonly kind: string;
  ping(signal?: AbortSignal): Promise<RuntimeInfo>;
  readonly images: Images;
  readonly networks: Networks;
  readonly volumes: Volumes;
  readonly containers: Containers;
  events(filter?: EventFilter, signal?: AbortSignal): AsyncIterable<RuntimeEvent>;
  /**
   * The command a person runs to make a network or volume outside berth (`docker network create
   * x`), which hints name when an external one is missing; absent when the backend has none.
   */
  manualCreateCommand?(kind: "network" | "volume", name: string): string;
  /** Release connections (keep-alive sockets) so the process can exit. */
  close(): Promise<void>;
}
