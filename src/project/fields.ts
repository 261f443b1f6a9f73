/**
 * The field table: every key of the model (`model.ts`) with its type (`decoders.ts`), in compose-go's
 * struct field order, which is the order `docker compose config` prints. It is the one place a key is
 * listed; what else needs a list of keys is derived from it:
 * - decoding (decode.ts) walks these structs;
 * - `SERVICE_FIELD_ORDER` (where normalize puts a field it adds to a decoded service);
 * - `OUTPUT_FORMATS` (render.ts: which values print as durations, byte sizes, octal modes, …), from
 *   each field type's `print`;
 * - `INTERPOLATION_CASTS` (interpolate.ts: compose-go's `interpolateTypeCastMapping`), from each
 *   field's `cast`, which is compose-go's choice per field, not per type.
 * `SERVICE_FIELDS` is checked against `keyof Service`, and every struct against its model type
 * (`struct<Build>`): a key of the type without a field here, or a field the type does not have,
 * does not compile.
 */
import {
  bool,
  boolKeep,
  boolPtr,
  bytes,
  bytesKeep,
  cast,
  cpus,
  deviceCount,
  duration,
  durationPtr,
  fileMode,
  float,
  healthTest,
  hostsList,
  int,
  intKeep,
  intPtr,
  listOf,
  mapOf,
  mappingWithEquals,
  multiOptions,
  nullable,
  shellCommand,
  sshConfig,
  str,
  stringList,
  stringMap,
  stringSlice,
  strKeep,
  struct,
  tmpfsMode,
  ulimit,
  type CastKind,
  type FieldType,
  type OutputFormat,
} from "./decoders.js";
import type {
  BlkioConfig,
  Build,
  CredentialSpec,
  Deploy,
  DeviceMapping,
  DeviceRequest,
  Develop,
  EnvFile,
  Extends,
  FileObject,
  FileReference,
  GenericResource,
  Healthcheck,
  IpamPool,
  Logging,
  Model,
  Network,
  Placement,
  Resource,
  Resources,
  RestartPolicy,
  Service,
  ServiceDependency,
  ServiceHook,
  ServiceModel,
  ServiceNetwork,
  ServicePort,
  ServiceProvider,
  ServiceVolume,
  ThrottleDevice,
  UpdateConfig,
  Volume,
  WatchTrigger,
} from "./model.js";
import type { PathPattern } from "./path-pattern.js";

// --- the structs a service is made of, in compose-go's field order ---------------------------------

/** Secrets and configs of a service, and build secrets; compose-go casts `mode` only for the first two. */
function fileReference(modeCast?: CastKind): FieldType {
  return struct<FileReference>({
    source: str,
    target: str,
    uid: str,
    gid: str,
    mode: modeCast ? cast(fileMode, modeCast) : fileMode,
  });
}

const deviceRequest = struct<DeviceRequest>(
  { capabilities: stringSlice, driver: str, count: deviceCount, device_ids: stringSlice, options: stringMap },
  { ext: false },
);

const serviceHook = struct<ServiceHook>({
  command: shellCommand,
  user: str,
  privileged: bool,
  working_dir: str,
  environment: mappingWithEquals,
});

const updateConfig = struct<UpdateConfig>({
  parallelism: cast(intPtr, "int"),
  delay: duration,
  failure_action: str,
  monitor: duration,
  max_failure_ratio: cast(float, "float"),
  order: str,
});

type DiscreteResourceSpec = NonNullable<GenericResource["discrete_resource_spec"]>;

const resource = struct<Resource>({
  cpus,
  memory: bytes,
  pids: int,
  devices: listOf(deviceRequest),
  generic_resources: listOf(
    struct<GenericResource>({
      discrete_resource_spec: struct<DiscreteResourceSpec>({ kind: strKeep, value: intKeep }),
    }),
  ),
});

const throttleDevice = struct<ThrottleDevice>({ path: strKeep, rate: bytesKeep });

const build = struct<Build>({
  context: str,
  dockerfile: str,
  dockerfile_inline: str,
  entitlements: stringSlice,
  args: mappingWithEquals,
  provenance: str,
  sbom: str,
  ssh: sshConfig,
  labels: stringMap,
  cache_from: stringList,
  cache_to: stringList,
  no_cache: bool,
  no_cache_filter: stringList,
  additional_contexts: stringMap,
  pull: bool,
  extra_hosts: hostsList,
  isolation: str,
  network: str,
  target: str,
  secrets: listOf(fileReference()),
  shm_size: bytes,
  tags: stringList,
  ulimits: mapOf(ulimit),
  platforms: stringList,
  privileged: bool,
});

const develop = struct<Develop>({
  watch: listOf(
    struct<WatchTrigger>({
      path: strKeep,
      action: strKeep,
      target: str,
      exec: serviceHook,
      include: stringList,
      ignore: stringList,
      initial_sync: bool,
    }),
  ),
});

type WeightDevice = NonNullable<BlkioConfig["weight_device"]>[number];

const blkioConfig = struct<BlkioConfig>({
  weight: int,
  weight_device: listOf(struct<WeightDevice>({ path: strKeep, weight: intKeep })),
  device_read_bps: listOf(throttleDevice),
  device_read_iops: listOf(throttleDevice),
  device_write_bps: listOf(throttleDevice),
  device_write_iops: listOf(throttleDevice),
});

type PlacementPreference = NonNullable<Placement["preferences"]>[number];

const deploy = struct<Deploy>({
  mode: str,
  replicas: cast(intPtr, "int"),
  labels: stringMap,
  update_config: updateConfig,
  rollback_config: updateConfig,
  resources: struct<Resources>({ limits: resource, reservations: resource }, { omitEmpty: true }),
  restart_policy: struct<RestartPolicy>({
    condition: str,
    delay: durationPtr,
    max_attempts: cast(intPtr, "int"),
    window: durationPtr,
  }),
  placement: struct<Placement>(
    {
      constraints: stringSlice,
      preferences: listOf(struct<PlacementPreference>({ spread: str })),
      max_replicas_per_node: cast(int, "int"),
    },
    { omitEmpty: true },
  ),
  endpoint_mode: str,
});

const envFile: FieldType = {
  ...listOf(struct<EnvFile>({ path: strKeep, required: boolKeep(true), format: str }, { ext: false })),
  print: "env_file",
};

const healthcheck = struct<Healthcheck>({
  test: healthTest,
  timeout: durationPtr,
  interval: durationPtr,
  retries: cast(intPtr, "int"),
  start_period: durationPtr,
  start_interval: durationPtr,
  disable: cast(bool, "boolean"),
});

const serviceNetwork = struct<ServiceNetwork>({
  aliases: stringSlice,
  driver_opts: stringMap,
  gw_priority: int,
  interface_name: str,
  ipv4_address: str,
  ipv6_address: str,
  link_local_ips: stringSlice,
  mac_address: str,
  priority: int,
});

const servicePort = struct<ServicePort>({
  name: str,
  mode: str,
  host_ip: str,
  target: cast(int, "int"),
  published: str,
  protocol: str,
  app_protocol: str,
});

type VolumeOptions<K extends "bind" | "volume" | "tmpfs" | "image"> = NonNullable<ServiceVolume[K]>;

const serviceVolume = struct<ServiceVolume>({
  type: str,
  source: str,
  target: str,
  read_only: cast(bool, "boolean"),
  consistency: str,
  bind: struct<VolumeOptions<"bind">>({
    selinux: str,
    propagation: str,
    // kept when false too: the runtime needs the opt-out, and compose-go >= 2.10 prints it
    create_host_path: boolPtr,
    recursive: str,
  }),
  volume: struct<VolumeOptions<"volume">>({ labels: stringMap, nocopy: cast(bool, "boolean"), subpath: str }),
  tmpfs: struct<VolumeOptions<"tmpfs">>({ size: bytes, mode: tmpfsMode }),
  image: struct<VolumeOptions<"image">>({ subpath: str }),
});

/** compose-go casts a service's ulimits (and their soft/hard) after interpolation; build's it leaves. */
const serviceUlimit: FieldType = {
  ...cast(ulimit, "int"),
  children: { soft: cast(intKeep, "int"), hard: cast(intKeep, "int") },
};

/** The keys of a service other than its `x-*` extensions. */
type ServiceKey = Exclude<keyof Service, `x-${string}`>;

// --- the service ------------------------------------------------------------------------------------

const SERVICE_FIELDS = {
  profiles: stringSlice,
  annotations: stringMap,
  attach: boolPtr,
  build,
  develop,
  blkio_config: blkioConfig,
  cap_add: stringSlice,
  cap_drop: stringSlice,
  cgroup_parent: str,
  cgroup: str,
  cpu_count: cast(int, "int64"),
  cpu_percent: cast(float, "float"),
  cpu_period: cast(int, "int64"),
  cpu_quota: cast(int, "int64"),
  cpu_rt_period: cast(int, "int64"),
  cpu_rt_runtime: cast(int, "int64"),
  cpus: cast(cpus, "float32"),
  cpuset: str,
  cpu_shares: cast(int, "int64"),
  command: shellCommand,
  configs: listOf(fileReference("int")),
  container_name: str,
  credential_spec: struct<CredentialSpec>({ config: str, file: str, registry: str }),
  depends_on: mapOf(struct<ServiceDependency>({ condition: str, restart: bool, required: boolKeep(false) })),
  deploy,
  device_cgroup_rules: stringSlice,
  devices: listOf(struct<DeviceMapping>({ source: str, target: str, permissions: str })),
  dns: stringList,
  dns_opt: stringSlice,
  dns_search: stringList,
  dockerfile: str,
  domainname: str,
  entrypoint: shellCommand,
  provider: struct<ServiceProvider>({ type: str, options: multiOptions }),
  environment: mappingWithEquals,
  env_file: envFile,
  expose: stringList,
  extends: struct<Extends>({ file: str, service: str }, { ext: false }),
  external_links: stringSlice,
  extra_hosts: hostsList,
  group_add: stringSlice,
  gpus: listOf(deviceRequest),
  hostname: str,
  healthcheck,
  image: str,
  init: cast(boolPtr, "boolean"),
  ipc: str,
  isolation: str,
  labels: stringMap,
  label_file: stringList,
  links: stringSlice,
  logging: struct<Logging>({ driver: str, options: stringMap }),
  log_driver: str,
  log_opt: stringMap,
  mem_limit: bytes,
  mem_reservation: bytes,
  memswap_limit: bytes,
  mem_swappiness: bytes,
  mac_address: str,
  models: mapOf(nullable(struct<ServiceModel>({ endpoint_var: str, model_var: str }))),
  net: str,
  network_mode: str,
  networks: mapOf(nullable(serviceNetwork)),
  oom_kill_disable: cast(bool, "boolean"),
  oom_score_adj: cast(int, "int64"),
  pid: str,
  pids_limit: cast(int, "int64"),
  platform: str,
  ports: listOf(servicePort),
  privileged: cast(bool, "boolean"),
  pull_policy: str,
  read_only: cast(bool, "boolean"),
  restart: str,
  runtime: str,
  scale: cast(intPtr, "int"),
  secrets: listOf(fileReference("int")),
  security_opt: stringSlice,
  shm_size: bytes,
  stdin_open: cast(bool, "boolean"),
  stop_grace_period: durationPtr,
  stop_signal: str,
  storage_opt: stringMap,
  sysctls: stringMap,
  tmpfs: stringList,
  tty: cast(bool, "boolean"),
  ulimits: mapOf(serviceUlimit),
  use_api_socket: bool,
  user: str,
  userns_mode: str,
  uts: str,
  volume_driver: str,
  volumes: listOf(serviceVolume),
  volumes_from: stringSlice,
  working_dir: str,
  post_start: listOf(serviceHook),
  pre_stop: listOf(serviceHook),
} satisfies Readonly<Record<ServiceKey, FieldType>>;

const service = struct<Service>(SERVICE_FIELDS);

// --- the other sections -----------------------------------------------------------------------------

const network = struct<Network>({
  name: str,
  driver: str,
  driver_opts: stringMap,
  ipam: struct<NonNullable<Network["ipam"]>>(
    {
      driver: str,
      config: listOf(
        struct<IpamPool>({ subnet: str, gateway: str, ip_range: str, aux_addresses: stringMap }),
      ),
    },
    { omitEmpty: true },
  ),
  external: cast(bool, "boolean"),
  internal: cast(bool, "boolean"),
  attachable: cast(bool, "boolean"),
  labels: stringMap,
  enable_ipv4: boolPtr,
  enable_ipv6: cast(boolPtr, "boolean"),
});

const volume = struct<Volume>({
  name: str,
  driver: str,
  driver_opts: stringMap,
  external: cast(bool, "boolean"),
  labels: stringMap,
});

/** A secret's or a config's fields; `content` only for a config (a secret never prints it). */
function fileObjectFields<C extends object>(content: C) {
  return {
    name: str,
    file: str,
    environment: str,
    ...content,
    external: cast(bool, "boolean"),
    labels: stringMap,
    driver: str,
    driver_opts: stringMap,
    template_driver: str,
  };
}

const secret = struct<Omit<FileObject, "content">>(fileObjectFields({}));
const config = struct<FileObject>(fileObjectFields({ content: str }));

const model = struct<Model>({
  name: str,
  model: str,
  context_size: int,
  runtime_flags: stringSlice,
});

/** Each top-level section: a map of these. */
export const SECTIONS = {
  services: service,
  networks: network,
  volumes: volume,
  secrets: secret,
  configs: config,
  models: model,
} as const;

// --- what is derived from the table -----------------------------------------------------------------

/** The service's keys in compose-go's order. */
export const SERVICE_FIELD_ORDER: readonly string[] = Object.keys(SERVICE_FIELDS);

/** Every field's `pick` (its print format, its cast), by path pattern (`services.*.ports.[].target`). */
function collect<T>(pick: (type: FieldType) => T | undefined): Record<PathPattern, T> {
  const out: Record<PathPattern, T> = {};
  const visit = (type: FieldType, pattern: PathPattern): void => {
    const value = pick(type);
    if (value !== undefined) out[pattern] = value;
    const children = type.children ?? {};
    for (const key of Object.keys(children)) visit(children[key] as FieldType, `${pattern}.${key}`);
  };
  for (const [section, type] of Object.entries(SECTIONS)) visit(type, `${section}.*`);
  return out;
}

/** Values `config` prints in another form than the model keeps them (render.ts). */
export const OUTPUT_FORMATS: Readonly<Record<PathPattern, OutputFormat>> = collect((type) => type.print);

/**
 * compose-go's `interpolateTypeCastMapping` (loader/interpolate.go, v2): string values at these
 * paths are converted right after interpolation. Values that are not strings are left alone.
 */
export const INTERPOLATION_CASTS: Readonly<Record<PathPattern, CastKind>> = collect((type) => type.cast);
