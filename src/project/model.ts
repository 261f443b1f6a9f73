/**
 * The typed, read-only project model: what normalize produces and everything after it reads.
 *
 * Key names are the compose file's (snake_case) and every value is in Compose's canonical long form,
 * in the shape `docker compose config` prints (compose-go `types/types.go`, `types/project.go` and
 * friends). Keys of each object are created in compose-go's struct field order, and map keys in
 * go-yaml's order, so walking the model prints in Compose's order. Fields Compose omits when empty
 * (`omitempty`) are absent rather than empty.
 *
 * Three kinds of values are kept as plain numbers and printed differently (see `renderProject` in
 * render.ts, which renders the model as `docker compose config` does, and the field table's print
 * formats in fields.ts):
 * - `Nanoseconds` (healthcheck intervals, stop_grace_period, …) print as Go durations: `1m30s`
 * - `Bytes` (mem_limit, shm_size, tmpfs size, …) print as a decimal string: `"536870912"`
 * - `FileMode` (secrets/configs `mode`) prints as an octal string: `"0440"`
 * `x-*` extension keys stay on the object they were written on, after the known keys.
 *
 * Every key here has its entry in the field table (fields.ts: how it decodes, prints and casts);
 * `SERVICE_FIELDS` there does not compile while a key of `Service` is missing from it.
 */

/** A duration in nanoseconds (Go's time.Duration). */
export type Nanoseconds = number;
/** A size in bytes (compose-go UnitBytes). */
export type Bytes = number;
/** A file permission mode (compose-go FileMode), e.g. 0o440. */
export type FileMode = number;

/** `x-*` keys with any value. */
export type Extensions = Readonly<Record<`x-${string}`, unknown>>;

export interface Project {
  readonly name: string;
  /** Absolute; not printed. */
  readonly workingDir: string;
  readonly services: Readonly<Record<string, Service>>;
  /** Every section is present, empty when the file declares none (printing leaves empty ones out). */
  readonly networks: Readonly<Record<string, Network>>;
  readonly volumes: Readonly<Record<string, Volume>>;
  readonly secrets: Readonly<Record<string, Secret>>;
  readonly configs: Readonly<Record<string, Config>>;
  readonly models: Readonly<Record<string, Model>>;
  /** Top-level `x-*` keys. */
  readonly extensions?: Extensions;
  /** The environment used for interpolation (shell + .env); not printed. */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface Service {
  readonly profiles?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly attach?: boolean;
  readonly build?: Build;
  readonly develop?: Develop;
  readonly blkio_config?: BlkioConfig;
  readonly cap_add?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly cgroup_parent?: string;
  readonly cgroup?: string;
  readonly cpu_count?: number;
  readonly cpu_percent?: number;
  readonly cpu_period?: number;
  readonly cpu_quota?: number;
  readonly cpu_rt_period?: number;
  readonly cpu_rt_runtime?: number;
  readonly cpus?: number;
  readonly cpuset?: string;
  readonly cpu_shares?: number;
  /** Shell-word split when written as a string; `[]` clears the image's command. */
  readonly command?: readonly string[];
  readonly configs?: readonly FileReference[];
  readonly container_name?: string;
  readonly credential_spec?: CredentialSpec;
  readonly depends_on?: Readonly<Record<string, ServiceDependency>>;
  readonly deploy?: Deploy;
  readonly device_cgroup_rules?: readonly string[];
  readonly devices?: readonly DeviceMapping[];
  readonly dns?: readonly string[];
  readonly dns_opt?: readonly string[];
  readonly dns_search?: readonly string[];
  readonly dockerfile?: string;
  readonly domainname?: string;
  readonly entrypoint?: readonly string[];
  readonly provider?: ServiceProvider;
  /** `null`: declared without a value and not set in the environment. */
  readonly environment?: Readonly<Record<string, string | null>>;
  /** Kept only when normalize is asked to (`docker compose config` drops it once read). */
  readonly env_file?: readonly EnvFile[];
  readonly expose?: readonly string[];
  readonly extends?: Extends;
  readonly external_links?: readonly string[];
  /** host → addresses; printed as a sorted list of `host=ip`. */
  readonly extra_hosts?: Readonly<Record<string, readonly string[]>>;
  readonly group_add?: readonly string[];
  readonly gpus?: readonly DeviceRequest[];
  readonly hostname?: string;
  readonly healthcheck?: Healthcheck;
  readonly image?: string;
  readonly init?: boolean;
  readonly ipc?: string;
  readonly isolation?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Kept only when normalize is asked to (read into `labels`). */
  readonly label_file?: readonly string[];
  readonly links?: readonly string[];
  readonly logging?: Logging;
  readonly log_driver?: string;
  readonly log_opt?: Readonly<Record<string, string>>;
  readonly mem_limit?: Bytes;
  readonly mem_reservation?: Bytes;
  readonly memswap_limit?: Bytes;
  readonly mem_swappiness?: Bytes;
  readonly mac_address?: string;
  readonly models?: Readonly<Record<string, ServiceModel | null>>;
  readonly net?: string;
  readonly network_mode?: string;
  /** `null`: attached with no options. */
  readonly networks?: Readonly<Record<string, ServiceNetwork | null>>;
  readonly oom_kill_disable?: boolean;
  readonly oom_score_adj?: number;
  readonly pid?: string;
  readonly pids_limit?: number;
  readonly platform?: string;
  readonly ports?: readonly ServicePort[];
  readonly privileged?: boolean;
  readonly pull_policy?: string;
  readonly read_only?: boolean;
  /** As written: `no`, `always`, `on-failure[:N]`, `unless-stopped`. */
  readonly restart?: string;
  readonly runtime?: string;
  readonly scale?: number;
  readonly secrets?: readonly FileReference[];
  readonly security_opt?: readonly string[];
  readonly shm_size?: Bytes;
  readonly stdin_open?: boolean;
  readonly stop_grace_period?: Nanoseconds;
  readonly stop_signal?: string;
  readonly storage_opt?: Readonly<Record<string, string>>;
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly tmpfs?: readonly string[];
  readonly tty?: boolean;
  readonly ulimits?: Readonly<Record<string, Ulimit>>;
  readonly use_api_socket?: boolean;
  readonly user?: string;
  readonly userns_mode?: string;
  readonly uts?: string;
  readonly volume_driver?: string;
  readonly volumes?: readonly ServiceVolume[];
  readonly volumes_from?: readonly string[];
  readonly working_dir?: string;
  readonly post_start?: readonly ServiceHook[];
  readonly pre_stop?: readonly ServiceHook[];
  readonly [extension: `x-${string}`]: unknown;
}

export interface Build {
  /** Absolute, unless a URL / Git remote / `service:` reference. */
  readonly context?: string;
  /** Relative to the context, as written; `Dockerfile` when neither this nor dockerfile_inline is set. */
  readonly dockerfile?: string;
  readonly dockerfile_inline?: string;
  readonly entitlements?: readonly string[];
  /** `null`: declared without a value (an unresolved `ARG` is dropped, as Compose does). */
  readonly args?: Readonly<Record<string, string | null>>;
  readonly provenance?: string;
  readonly sbom?: string;
  readonly ssh?: readonly SSHKey[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly cache_from?: readonly string[];
  readonly cache_to?: readonly string[];
  readonly no_cache?: boolean;
  readonly no_cache_filter?: readonly string[];
  readonly additional_contexts?: Readonly<Record<string, string>>;
  readonly pull?: boolean;
  readonly extra_hosts?: Readonly<Record<string, readonly string[]>>;
  readonly isolation?: string;
  readonly network?: string;
  readonly target?: string;
  readonly secrets?: readonly FileReference[];
  readonly shm_size?: Bytes;
  readonly tags?: readonly string[];
  readonly ulimits?: Readonly<Record<string, Ulimit>>;
  readonly platforms?: readonly string[];
  readonly privileged?: boolean;
  readonly [extension: `x-${string}`]: unknown;
}

/** `id` alone (`default`) or `id: path`. */
export interface SSHKey {
  readonly id: string;
  readonly path?: string;
}

export interface Develop {
  readonly watch?: readonly WatchTrigger[];
  readonly [extension: `x-${string}`]: unknown;
}

export interface WatchTrigger {
  readonly path: string;
  readonly action: string;
  readonly target?: string;
  readonly exec?: ServiceHook;
  readonly include?: readonly string[];
  readonly ignore?: readonly string[];
  readonly initial_sync?: boolean;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServiceHook {
  readonly command?: readonly string[];
  readonly user?: string;
  readonly privileged?: boolean;
  readonly working_dir?: string;
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly [extension: `x-${string}`]: unknown;
}

export interface BlkioConfig {
  readonly weight?: number;
  readonly weight_device?: readonly { readonly path: string; readonly weight: number }[];
  readonly device_read_bps?: readonly ThrottleDevice[];
  readonly device_read_iops?: readonly ThrottleDevice[];
  readonly device_write_bps?: readonly ThrottleDevice[];
  readonly device_write_iops?: readonly ThrottleDevice[];
  readonly [extension: `x-${string}`]: unknown;
}

export interface ThrottleDevice {
  readonly path: string;
  readonly rate: Bytes;
}

export interface FileReference {
  readonly source: string;
  /** Secrets default to `/run/secrets/<source>`; configs have no default. */
  readonly target?: string;
  readonly uid?: string;
  readonly gid?: string;
  readonly mode?: FileMode;
  readonly [extension: `x-${string}`]: unknown;
}

export interface CredentialSpec {
  readonly config?: string;
  readonly file?: string;
  readonly registry?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServiceDependency {
  /** The schema allows only these three. */
  readonly condition: "service_started" | "service_healthy" | "service_completed_successfully";
  readonly restart?: boolean;
  readonly required: boolean;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Deploy {
  readonly mode?: string;
  readonly replicas?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly update_config?: UpdateConfig;
  readonly rollback_config?: UpdateConfig;
  readonly resources?: Resources;
  readonly restart_policy?: RestartPolicy;
  readonly placement?: Placement;
  readonly endpoint_mode?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export interface UpdateConfig {
  readonly parallelism?: number;
  readonly delay?: Nanoseconds;
  readonly failure_action?: string;
  readonly monitor?: Nanoseconds;
  readonly max_failure_ratio?: number;
  readonly order?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Resources {
  readonly limits?: Resource;
  readonly reservations?: Resource;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Resource {
  readonly cpus?: number;
  readonly memory?: Bytes;
  readonly pids?: number;
  readonly devices?: readonly DeviceRequest[];
  readonly generic_resources?: readonly GenericResource[];
  readonly [extension: `x-${string}`]: unknown;
}

export interface GenericResource {
  readonly discrete_resource_spec?: { readonly kind: string; readonly value: number };
  readonly [extension: `x-${string}`]: unknown;
}

export interface DeviceRequest {
  readonly capabilities?: readonly string[];
  readonly driver?: string;
  /** `-1` for `all`. */
  readonly count?: number;
  readonly device_ids?: readonly string[];
  readonly options?: Readonly<Record<string, string>>;
}

export interface RestartPolicy {
  readonly condition?: string;
  readonly delay?: Nanoseconds;
  readonly max_attempts?: number;
  readonly window?: Nanoseconds;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Placement {
  readonly constraints?: readonly string[];
  readonly preferences?: readonly { readonly spread?: string }[];
  readonly max_replicas_per_node?: number;
  readonly [extension: `x-${string}`]: unknown;
}

export interface DeviceMapping {
  readonly source?: string;
  readonly target?: string;
  readonly permissions?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServiceProvider {
  readonly type?: string;
  readonly options?: Readonly<Record<string, readonly string[]>>;
  readonly [extension: `x-${string}`]: unknown;
}

export interface EnvFile {
  readonly path: string;
  readonly required: boolean;
  readonly format?: string;
}

export interface Extends {
  readonly file?: string;
  readonly service?: string;
}

export interface Healthcheck {
  /** `["CMD-SHELL", "<string>"]` when written as a string. */
  readonly test?: readonly string[];
  readonly timeout?: Nanoseconds;
  readonly interval?: Nanoseconds;
  readonly retries?: number;
  readonly start_period?: Nanoseconds;
  readonly start_interval?: Nanoseconds;
  readonly disable?: boolean;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Logging {
  readonly driver?: string;
  readonly options?: Readonly<Record<string, string>>;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServiceModel {
  readonly endpoint_var?: string;
  readonly model_var?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServiceNetwork {
  readonly aliases?: readonly string[];
  readonly driver_opts?: Readonly<Record<string, string>>;
  readonly gw_priority?: number;
  readonly interface_name?: string;
  readonly ipv4_address?: string;
  readonly ipv6_address?: string;
  readonly link_local_ips?: readonly string[];
  readonly mac_address?: string;
  readonly priority?: number;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServicePort {
  readonly name?: string;
  /** `ingress` unless written otherwise. */
  readonly mode: string;
  readonly host_ip?: string;
  readonly target: number;
  /** A port (`"8080"`) or a range (`"8000-8010"`); absent when not published. */
  readonly published?: string;
  /** `tcp` unless written otherwise. */
  readonly protocol: string;
  readonly app_protocol?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export interface ServiceVolume {
  readonly type: "bind" | "volume" | "tmpfs" | "npipe" | "cluster" | "image" | string;
  /** Absolute for a bind mount; the volume's key for a named volume; absent for an anonymous one. */
  readonly source?: string;
  readonly target: string;
  readonly read_only?: boolean;
  readonly consistency?: string;
  readonly bind?: {
    readonly selinux?: string;
    readonly propagation?: string;
    /**
     * `true` for the short syntax, and for a long-syntax `bind:` that does not say otherwise; an
     * explicit `false` is kept (the opt-out).
     */
    readonly create_host_path?: boolean;
    readonly recursive?: string;
    readonly [extension: `x-${string}`]: unknown;
  };
  readonly volume?: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly nocopy?: boolean;
    readonly subpath?: string;
    readonly [extension: `x-${string}`]: unknown;
  };
  readonly tmpfs?: {
    readonly size?: Bytes;
    readonly mode?: number;
    readonly [extension: `x-${string}`]: unknown;
  };
  readonly image?: { readonly subpath?: string; readonly [extension: `x-${string}`]: unknown };
  readonly [extension: `x-${string}`]: unknown;
}

/** A single number (`nproc: 65535`) or soft/hard limits. */
export type Ulimit = number | { readonly soft: number; readonly hard: number };

export interface Network {
  /** `<project>_<key>` unless given, or the key itself for an external network. */
  readonly name: string;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string>>;
  readonly ipam?: {
    readonly driver?: string;
    readonly config?: readonly IpamPool[];
    readonly [extension: `x-${string}`]: unknown;
  };
  readonly external?: boolean;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly enable_ipv4?: boolean;
  readonly enable_ipv6?: boolean;
  readonly [extension: `x-${string}`]: unknown;
}

export interface IpamPool {
  readonly subnet?: string;
  readonly gateway?: string;
  readonly ip_range?: string;
  readonly aux_addresses?: Readonly<Record<string, string>>;
  readonly [extension: `x-${string}`]: unknown;
}

export interface Volume {
  /** `<project>_<key>` unless given, or the key itself for an external volume. */
  readonly name: string;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string>>;
  readonly external?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [extension: `x-${string}`]: unknown;
}

/** A top-level secret or config (compose-go FileObjectConfig). */
export interface FileObject {
  /** `<project>_<key>` unless given, or the key itself when external. */
  readonly name: string;
  /** Absolute. */
  readonly file?: string;
  readonly environment?: string;
  /** Configs only (`content:` written inline); never printed for secrets. */
  readonly content?: string;
  readonly external?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string>>;
  readonly template_driver?: string;
  readonly [extension: `x-${string}`]: unknown;
}

export type Secret = FileObject;
export type Config = FileObject;

export interface Model {
  readonly name?: string;
  readonly model?: string;
  readonly context_size?: number;
  readonly runtime_flags?: readonly string[];
  readonly [extension: `x-${string}`]: unknown;
}
