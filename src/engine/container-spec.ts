/**
 * `containerSpecFor`: one replica of a service → the ContainerSpec Docker Compose v2 would create
 * (`docker/compose` `pkg/compose/create.go` `getCreateConfigs`, `prepareLabels`,
 * `defaultNetworkSettings`, `getAliases`, `buildContainerVolumes`, `getDeployResources`,
 * `getRestartPolicy`; `pkg/compose/convergence.go` `resolveServiceReferences`, `getLinks`;
 * `pkg/compose/secrets.go`). Pure: no I/O, no clock, no randomness.
 *
 * Where berth resolves a reference Compose resolves against live containers, it names the container
 * instead of looking up its ID: `network_mode`/`ipc`/`pid`/`uts: service:x` → `container:<name of
 * x's replica 1>`, `volumes_from: x` → that name, `links: x` → x's replicas `1..scale` by name.
 *
 * Secrets and configs with a `file` become read-only bind mounts; those with `environment` or
 * `content` come back as `copies`, to be copied into the created container before it starts (as
 * Compose's `injectSecrets` does). Their values never enter the spec: not its env, labels or argv.
 *
 * Fields the ContainerSpec cannot carry are named in `ignored` (`services.<name>.<field>`) so the
 * caller can warn; security settings are passed as asked and nothing is added (the engine applies
 * its own defaults).
 */
import { BerthError } from "../errors.js";
import type {
  FileReference,
  Project,
  RestartPolicy as DeployRestartPolicy,
  Service,
  ServiceNetwork,
  ServiceVolume,
} from "../project/model.js";
import type {
  BlkioLimits,
  ContainerSpec,
  EndpointSpec,
  HealthcheckSpec,
  MountSpec,
  PortBinding,
  ResourceLimits,
  RestartPolicy,
} from "../runtime/runtime.js";
import { desiredReplicas, imageReference } from "./desired.js";
import { serviceConfigHash } from "./hash.js";
import {
  COMPOSE_VERSION,
  CONFIG_FILES_LABEL,
  CONFIG_HASH_LABEL,
  CONTAINER_NUMBER_LABEL,
  DEPENDS_ON_LABEL,
  ENVIRONMENT_FILE_LABEL,
  IMAGE_LABEL,
  ONEOFF_FALSE,
  ONEOFF_LABEL,
  ONEOFF_TRUE,
  PROJECT_LABEL,
  REPLACE_LABEL,
  SERVICE_LABEL,
  SLUG_LABEL,
  VERSION_LABEL,
  WORKING_DIR_LABEL,
} from "./labels.js";
import { containerName, oneOffName, replacedSlot, replacementName, SEPARATOR } from "./names.js";
import type { FileCopy } from "./plan.js";

export interface ContainerSpecContext {
  /** Absolute paths of the compose files (`com.docker.compose.project.config_files`). */
  readonly configFiles: readonly string[];
  /** `--env-file` paths as given; the label is written only when there are some. */
  readonly environmentFiles?: readonly string[] | undefined;
  /** ID of the image the container is created from (`com.docker.compose.image`). */
  readonly imageId?: string | undefined;
  /** A `run` container: oneoff `True`, no restart policy, no network aliases by default. */
  readonly oneOff?: boolean | undefined;
  /** The one-off's random slug (`com.docker.compose.slug`; names it unless `name` is given). */
  readonly slug?: string | undefined;
  /** Overrides the container name (`run --name`). */
  readonly name?: string | undefined;
  /**
   * ID of the container this one replaces (recreate): the spec gets the temporary name
   * `<id12>_<name>` and the `com.docker.compose.replace` label naming the replaced slot; aliases
   * keep the final name.
   */
  readonly replaces?: string | undefined;
  /** Service name and `aliases:` as network aliases; default true, false for a one-off (`run --use-aliases`). */
  readonly useAliases?: boolean | undefined;
  /** `--scale` counts: `links:` name every replica of the linked service, as many as `up` makes. */
  readonly scale?: Readonly<Record<string, number>> | undefined;
}

export interface ContainerSpecResult {
  readonly spec: ContainerSpec;
  readonly copies: readonly FileCopy[];
  /** `services.<name>.<field>` for every setting the spec cannot carry. */
  readonly ignored: readonly string[];
}

/** A service that cannot be turned into a container as written. */
export class ContainerSpecError extends BerthError {
  override readonly code: string = "CONTAINER_SPEC_ERROR";
}

/** Fields of a service with no place in ContainerSpec; reported in `ignored` when set. */
const UNSUPPORTED_FIELDS = [
  // Windows containers' settings (a Linux engine discards them).
  "cpu_count",
  "cpu_percent",
  "credential_spec",
  "isolation",
  // Device requests for GPU drivers and model runners, and the Docker Desktop socket.
  "gpus",
  "models",
  "use_api_socket",
] as const satisfies readonly (keyof Service)[];

/**
 * The container for replica `number` of `service`. The number is written to the container-number
 * label as given, also for a one-off (Compose v2 up to 2.x passed 1 there, later releases -1).
 * Throws ContainerSpecError where Compose refuses the service too (undefined network, external or
 * driver-backed secret, unset secret variable, copied secret in a read-only service, …).
 */
export function containerSpecFor(
  project: Project,
  serviceName: string,
  number: number,
  context: ContainerSpecContext,
): ContainerSpecResult {
  const declared = project.services[serviceName];
  if (declared === undefined) throw new ContainerSpecError(`no such service: ${serviceName}`);
  if (declared.provider !== undefined) {
    throw new ContainerSpecError(`service "${serviceName}" is run by a provider and has no container`);
  }
  const oneOff = context.oneOff ?? false;
  // `run` clears the restart policy before hashing and creating (pkg/compose/run.go).
  const service = oneOff ? withoutRestart(declared) : declared;
  const at = (field: string) => `services.${serviceName}.${field}`;
  const ignored: string[] = [];
  const ignore = (field: string) => ignored.push(at(field));

  const name = context.name ?? defaultName(project, serviceName, number, oneOff, context.slug);
  const useAliases = context.useAliases ?? !oneOff;

  for (const field of UNSUPPORTED_FIELDS) if (isSet(service[field])) ignore(field);

  const { networkMode, networks } = networking(project, serviceName, service, name, useAliases, ignore);
  const links = linksFor(project, service, number, context.scale);
  if (networks !== undefined && links.length > 0) {
    for (const [key, endpoint] of Object.entries(networks)) networks[key] = { ...endpoint, links };
  }

  const { mounts, copies } = mountsAndCopies(project, serviceName, service, ignore);

  const spec: ContainerSpec = strip({
    name: context.replaces !== undefined ? replacementName(context.replaces, name) : name,
    image: imageReference(project, serviceName),
    labels: labelsFor(project, serviceName, service, number, context, oneOff),
    command: service.command !== undefined ? [...service.command] : undefined,
    entrypoint: service.entrypoint !== undefined ? [...service.entrypoint] : undefined,
    env: environment(service),
    workingDir: service.working_dir,
    user: service.user,
    hostname: service.hostname,
    domainname: service.domainname,
    tty: service.tty,
    stdinOpen: service.stdin_open,
    stopSignal: service.stop_signal,
    stopTimeoutS:
      service.stop_grace_period !== undefined ? Math.ceil(service.stop_grace_period / 1e9) : undefined,
    exposedPorts: exposedPorts(serviceName, service),
    healthcheck: healthcheck(serviceName, service),
    ports: nonEmpty(service.ports?.map((p, i) => portBinding(at(`ports[${i}]`), p))),
    mounts: nonEmpty(mounts),
    tmpfs: tmpfsOptions(service),
    restart: restartPolicy(serviceName, service),
    networkMode,
    networks,
    resources: resources(service, ignore),
    capAdd: nonEmpty(service.cap_add),
    capDrop: nonEmpty(service.cap_drop),
    privileged: service.privileged,
    readOnlyRootfs: service.read_only,
    securityOpt: securityOptions(service),
    init: service.init,
    extraHosts: nonEmpty(
      Object.entries(service.extra_hosts ?? {}).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`)),
    ),
    dns: nonEmpty(service.dns),
    dnsSearch: nonEmpty(service.dns_search),
    dnsOptions: nonEmpty(service.dns_opt),
    sysctls: service.sysctls !== undefined ? { ...service.sysctls } : undefined,
    devices: devices(service, ignore),
    groupAdd: nonEmpty(service.group_add),
    ipcMode: namespaceMode(project, service.ipc),
    pidMode: namespaceMode(project, service.pid),
    utsMode: namespaceMode(project, service.uts),
    cgroupParent: service.cgroup_parent,
    cgroupnsMode: service.cgroup,
    oomScoreAdj: service.oom_score_adj,
    annotations: service.annotations !== undefined ? { ...service.annotations } : undefined,
    usernsMode: service.userns_mode,
    runtime: service.runtime,
    storageOpt: service.storage_opt !== undefined ? { ...service.storage_opt } : undefined,
    volumeDriver: service.volume_driver,
    unmaskedPaths: service.security_opt?.includes("systempaths=unconfined") === true ? true : undefined,
    logging: logging(service),
    volumesFrom: nonEmpty(service.volumes_from?.map((entry) => volumesFrom(project, entry))),
    links: nonEmpty(links),
    platform: service.platform ?? project.environment?.["DOCKER_DEFAULT_PLATFORM"],
  });
  return { spec, copies, ignored };
}

// --- names and labels -----------------------------------------------------------------------------

function defaultName(
  project: Project,
  service: string,
  number: number,
  oneOff: boolean,
  slug: string | undefined,
): string {
  if (!oneOff) return containerName(project, service, number);
  if (slug === undefined || slug === "") {
    throw new ContainerSpecError(`a one-off container of ${service} needs a slug or a name`);
  }
  return oneOffName(project.name, service, slug);
}

function labelsFor(
  project: Project,
  serviceName: string,
  service: Service,
  number: number,
  context: ContainerSpecContext,
  oneOff: boolean,
): Record<string, string> {
  const labels: Record<string, string> = { ...service.labels };
  labels[PROJECT_LABEL] = project.name;
  labels[SERVICE_LABEL] = serviceName;
  labels[VERSION_LABEL] = COMPOSE_VERSION;
  labels[WORKING_DIR_LABEL] = project.workingDir;
  labels[CONFIG_FILES_LABEL] = context.configFiles.join(",");
  if (context.environmentFiles !== undefined && context.environmentFiles.length > 0) {
    labels[ENVIRONMENT_FILE_LABEL] = context.environmentFiles.join(",");
  }
  labels[ONEOFF_LABEL] = oneOff ? ONEOFF_TRUE : ONEOFF_FALSE;
  if (oneOff && context.slug !== undefined) labels[SLUG_LABEL] = context.slug;
  if (context.imageId !== undefined) labels[IMAGE_LABEL] = context.imageId;
  if (context.replaces !== undefined) labels[REPLACE_LABEL] = replacedSlot(project, serviceName, number);
  labels[CONFIG_HASH_LABEL] = serviceConfigHash(service);
  labels[CONTAINER_NUMBER_LABEL] = String(number);
  labels[DEPENDS_ON_LABEL] = Object.entries(service.depends_on ?? {})
    .map(([dep, d]) => `${dep}:${d.condition}:${d.restart === true}`)
    .join(",");
  return labels;
}

function withoutRestart(service: Service): Service {
  const { restart: _restart, ...rest } = service;
  if (rest.deploy?.restart_policy === undefined) return rest;
  const { restart_policy: _policy, ...deploy } = rest.deploy;
  return { ...rest, deploy };
}

// --- environment, ports -------------------------------------------------------------------------

/** Entries declared without a value and unset in the environment are left out. */
function environment(service: Service): Record<string, string> | undefined {
  if (service.environment === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment)) if (value !== null) env[key] = value;
  return env;
}

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

function protocolOf(where: string, value: string): PortBinding["protocol"] {
  const protocol = value.toLowerCase();
  if (!PROTOCOLS.has(protocol)) throw new ContainerSpecError(`${where}: invalid protocol "${value}"`);
  return protocol as PortBinding["protocol"];
}

function portBinding(where: string, port: NonNullable<Service["ports"]>[number]): PortBinding {
  return strip({
    containerPort: port.target,
    protocol: protocolOf(where, port.protocol),
    hostIp: port.host_ip,
    hostPort: port.published,
  });
}

/** `expose` (ranges expanded, `/tcp` by default) and every published port's target, each once. */
function exposedPorts(serviceName: string, service: Service): string[] | undefined {
  const out = new Set<string>();
  for (const [i, entry] of (service.expose ?? []).entries()) {
    const where = `services.${serviceName}.expose[${i}]`;
    const match = /^(\d+)(?:-(\d+))?(?:\/(\w+))?$/.exec(entry.trim());
    if (match === null) throw new ContainerSpecError(`${where}: invalid port "${entry}"`);
    const first = Number(match[1]);
    const last = match[2] !== undefined ? Number(match[2]) : first;
    if (last < first || last > 65535) throw new ContainerSpecError(`${where}: invalid port range "${entry}"`);
    const protocol = protocolOf(where, match[3] ?? "tcp");
    for (let p = first; p <= last; p++) out.add(`${p}/${protocol}`);
  }
  for (const [i, port] of (service.ports ?? []).entries()) {
    out.add(`${port.target}/${protocolOf(`services.${serviceName}.ports[${i}]`, port.protocol)}`);
  }
  return out.size > 0 ? [...out] : undefined;
}

// --- networks -------------------------------------------------------------------------------------

/** Compose's NetworksByPriority: priority descending, then name. */
function byPriority(networks: Readonly<Record<string, ServiceNetwork | null>>): string[] {
  const priority = (key: string) => networks[key]?.priority ?? 0;
  return Object.keys(networks).sort((a, b) => priority(b) - priority(a) || (a < b ? -1 : a > b ? 1 : 0));
}

function networking(
  project: Project,
  serviceName: string,
  service: Service,
  name: string,
  useAliases: boolean,
  ignore: (field: string) => void,
): { networkMode: string | undefined; networks: Record<string, EndpointSpec> | undefined } {
  const mode = service.network_mode ?? service.net;
  if (mode !== undefined && mode !== "") {
    if (service.mac_address !== undefined) ignore("mac_address");
    return { networkMode: namespaceMode(project, mode), networks: undefined };
  }
  let attached: Readonly<Record<string, ServiceNetwork | null>> = service.networks ?? {};
  if (Object.keys(attached).length === 0) {
    if (project.networks["default"] === undefined) return { networkMode: "none", networks: undefined };
    attached = { default: null };
  }
  const networks: Record<string, EndpointSpec> = {};
  let primary: string | undefined;
  for (const key of byPriority(attached)) {
    const network = project.networks[key];
    if (network === undefined) {
      throw new ContainerSpecError(`service "${serviceName}" refers to undefined network ${key}`);
    }
    const config = attached[key] ?? null;
    if (config !== null) {
      for (const field of ["driver_opts", "gw_priority", "interface_name", "link_local_ips"] as const) {
        if (isSet(config[field])) ignore(`networks.${key}.${field}`);
      }
    }
    const aliases = [name];
    if (useAliases) aliases.push(serviceName, ...(config?.aliases ?? []));
    networks[network.name] = strip({
      aliases,
      ipv4Address: config?.ipv4_address,
      ipv6Address: config?.ipv6_address,
      macAddress: config?.mac_address,
    });
    primary ??= network.name;
  }
  if (primary === undefined) return { networkMode: "none", networks: undefined };
  // The service-level mac_address goes to the primary endpoint (prepareContainerMACAddress).
  const main = networks[primary];
  if (service.mac_address !== undefined && main !== undefined) {
    if (main.macAddress !== undefined && main.macAddress !== service.mac_address) {
      throw new ContainerSpecError(
        `the service-level mac_address should have the same value as network ${primary}`,
      );
    }
    networks[primary] = { ...main, macAddress: service.mac_address };
  }
  return { networkMode: primary, networks };
}

/** `service:x` → `container:<name of x's replica 1>`; anything else as written. */
function namespaceMode(project: Project, mode: string | undefined): string | undefined {
  if (mode === undefined || mode === "") return undefined;
  if (!mode.startsWith("service:")) return mode;
  return `container:${containerName(project, mode.slice("service:".length), 1)}`;
}

/**
 * Compose's getLinks: for `svc[:alias]`, each replica of svc as `<name>:<alias>`,
 * `<name>:<svc>-<n>` and `<name>:<project>-<svc>-<n>` (n being this container's number);
 * `external_links` as `<container>:<alias>`.
 */
function linksFor(
  project: Project,
  service: Service,
  number: number,
  scale: Readonly<Record<string, number>> | undefined,
): string[] {
  const links: string[] = [];
  for (const raw of service.links ?? []) {
    const [target = "", alias] = raw.split(":");
    const linked = project.services[target];
    if (linked === undefined) continue;
    for (let replica = 1; replica <= desiredReplicas(target, linked, scale); replica++) {
      const name = containerName(project, target, replica);
      links.push(
        `${name}:${alias ?? target}`,
        `${name}:${[target, number].join(SEPARATOR)}`,
        `${name}:${[project.name, target, number].join(SEPARATOR)}`,
      );
    }
  }
  for (const raw of service.external_links ?? []) {
    const [target = "", alias] = raw.split(":");
    links.push(`${target}:${alias ?? target}`);
  }
  return links;
}

/** `x[:mode]` → `<name of x's replica 1>[:mode]`; `container:c[:mode]` → `c[:mode]`. */
function volumesFrom(project: Project, entry: string): string {
  const parts = entry.split(":");
  if (parts[0] === "container") return parts.slice(1).join(":");
  const [service = "", ...mode] = parts;
  return [containerName(project, service, 1), ...mode].join(":");
}

// --- mounts ---------------------------------------------------------------------------------------

/**
 * The service's volumes, then its secret and config files where no volume is mounted; files given
 * as content come back as copies, written over whatever is mounted at their target (as Compose's
 * injectSecrets does).
 */
function mountsAndCopies(
  project: Project,
  serviceName: string,
  service: Service,
  ignore: (field: string) => void,
): { mounts: MountSpec[]; copies: FileCopy[] } {
  const volumes = volumeMounts(project, serviceName, service, ignore);
  const files = fileMounts(project, serviceName, service, ignore);
  const taken = new Set(volumes.map((m) => m.target));
  const mounts: MountSpec[] = [...volumes];
  for (const m of files.mounts) {
    if (taken.has(m.target)) continue;
    taken.add(m.target);
    mounts.push(m);
  }
  if (files.copies.length > 0 && service.read_only === true) {
    throw new ContainerSpecError(
      `cannot create secrets or configs from environment or content in read-only service ${serviceName}: ` +
        "`file` is the sole supported option",
    );
  }
  return { mounts, copies: files.copies };
}

function volumeMounts(
  project: Project,
  serviceName: string,
  service: Service,
  ignore: (field: string) => void,
): MountSpec[] {
  // Keyed by target as Compose's map is: a later entry for the same target replaces an earlier one.
  const byTarget = new Map<string, MountSpec>();
  for (const [i, volume] of (service.volumes ?? []).entries()) {
    const mount = volumeMount(project, `services.${serviceName}.volumes[${i}]`, volume, (field) =>
      ignore(`volumes[${i}].${field}`),
    );
    byTarget.set(mount.target, mount);
  }
  return [...byTarget.values()];
}

function volumeMount(
  project: Project,
  where: string,
  volume: ServiceVolume,
  ignore: (field: string) => void,
): MountSpec {
  switch (volume.type) {
    case "bind": {
      if (volume.source === undefined || volume.source === "") {
        throw new ContainerSpecError(`${where}: a bind mount needs a source`);
      }
      if (isSet(volume.bind?.selinux)) ignore("bind.selinux");
      if (isSet(volume.bind?.recursive)) ignore("bind.recursive");
      return strip({
        type: "bind",
        source: volume.source,
        target: volume.target,
        readOnly: volume.read_only,
        propagation: volume.bind?.propagation,
        createHostPath: volume.bind?.create_host_path ?? true,
      });
    }
    case "volume":
      return strip({
        type: "volume",
        source:
          volume.source !== undefined && volume.source !== ""
            ? (project.volumes[volume.source]?.name ?? volume.source)
            : undefined,
        target: volume.target,
        readOnly: volume.read_only,
        noCopy: volume.volume?.nocopy,
        subpath: volume.volume?.subpath,
        labels: volume.volume?.labels !== undefined ? { ...volume.volume.labels } : undefined,
      });
    case "tmpfs":
      return strip({
        type: "tmpfs",
        target: volume.target,
        sizeBytes: volume.tmpfs?.size,
        mode: volume.tmpfs?.mode,
        readOnly: volume.read_only,
      });
    default:
      throw new ContainerSpecError(`${where}: volumes of type "${volume.type}" are not supported`);
  }
}

/**
 * `tmpfs: ["/run:size=64m,mode=1770,noexec"]` → `{ "/run": "size=64m,mode=1770,noexec" }`: the
 * options go to the runtime as written (as Compose sends them), so
 * every mount option the kernel knows works and the engine judges the rest. Volumes of
 * `type: tmpfs` stay mounts.
 */
function tmpfsOptions(service: Service): Record<string, string> | undefined {
  if (service.tmpfs === undefined || service.tmpfs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const entry of service.tmpfs) {
    const colon = entry.indexOf(":");
    if (colon < 0) out[entry] = "";
    else out[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return out;
}

interface FileMounts {
  readonly mounts: MountSpec[];
  readonly copies: FileCopy[];
}

/** Secrets then configs, as Compose's buildContainerSecretMounts/ConfigMounts and injectSecrets. */
function fileMounts(
  project: Project,
  serviceName: string,
  service: Service,
  ignore: (field: string) => void,
): FileMounts {
  const out: FileMounts = { mounts: [], copies: [] };
  const kinds = [
    { kind: "secret", field: "secrets", refs: service.secrets, defs: project.secrets, dir: "/run/secrets/" },
    { kind: "config", field: "configs", refs: service.configs, defs: project.configs, dir: "/" },
  ] as const;
  for (const { kind, field, refs, defs, dir } of kinds) {
    const byTarget = new Map<string, MountSpec | FileCopy>();
    for (const [i, ref] of (refs ?? []).entries()) {
      const where = `services.${serviceName}.${field}[${i}]`;
      const def = defs[ref.source];
      if (def === undefined) throw new ContainerSpecError(`${where}: ${kind} "${ref.source}" is not defined`);
      if (def.external === true) throw new ContainerSpecError(`unsupported external ${kind} ${def.name}`);
      if (isSet(def.driver)) throw new ContainerSpecError(`${kind}s.*.driver is not supported`);
      if (isSet(def.template_driver))
        throw new ContainerSpecError(`${kind}s.*.template_driver is not supported`);
      const target =
        ref.target === undefined || ref.target === ""
          ? dir + ref.source
          : ref.target.startsWith("/")
            ? ref.target
            : dir + ref.target;
      const content = resolveContent(project, kind, def);
      if (content !== undefined) {
        // An empty value is skipped, as Compose does.
        if (content !== "") byTarget.set(target, fileCopy(where, target, content, ref));
        continue;
      }
      if (def.file === undefined || def.file === "") {
        throw new ContainerSpecError(`${kind} "${ref.source}" has no file, environment or content`);
      }
      for (const key of ["uid", "gid", "mode"] as const)
        if (ref[key] !== undefined) ignore(`${field}[${i}].${key}`);
      byTarget.set(target, { type: "bind", source: def.file, target, readOnly: true, createHostPath: false });
    }
    for (const item of byTarget.values()) {
      if ("content" in item) out.copies.push(item);
      else out.mounts.push(item);
    }
  }
  return out;
}

/** The value of a `content` or `environment` source; undefined for a `file` source. */
function resolveContent(project: Project, kind: string, def: Project["secrets"][string]): string | undefined {
  if (def.content !== undefined && def.content !== "") return def.content;
  if (def.environment === undefined || def.environment === "") return def.content;
  const value = project.environment?.[def.environment];
  if (value === undefined) {
    throw new ContainerSpecError(
      `environment variable "${def.environment}" required by ${kind} "${def.name}" is not set`,
    );
  }
  return value;
}

function fileCopy(where: string, target: string, content: string, ref: FileReference): FileCopy {
  const id = (key: "uid" | "gid"): number | undefined => {
    const value = ref[key];
    if (value === undefined || value === "") return undefined;
    if (!/^\d+$/.test(value)) throw new ContainerSpecError(`${where}.${key}: "${value}" is not a number`);
    return Number(value);
  };
  const uid = id("uid");
  const gid = id("gid");
  return {
    target,
    content,
    mode: ref.mode ?? 0o444,
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  };
}

// --- the rest -------------------------------------------------------------------------------------

function healthcheck(serviceName: string, service: Service): HealthcheckSpec | undefined {
  const check = service.healthcheck;
  if (check === undefined) return undefined;
  if (check.start_interval !== undefined && check.start_period === undefined) {
    throw new ContainerSpecError(
      `services.${serviceName}.healthcheck: start_interval requires start_period to be set`,
    );
  }
  return strip({
    test: check.disable === true ? ["NONE"] : [...(check.test ?? [])],
    intervalNs: check.interval,
    timeoutNs: check.timeout,
    startPeriodNs: check.start_period,
    startIntervalNs: check.start_interval,
    retries: check.retries,
  });
}

/** `restart:` (`no`, `always`, `unless-stopped`, `on-failure[:N]`), overridden by `deploy.restart_policy`. */
function restartPolicy(serviceName: string, service: Service): RestartPolicy | undefined {
  const where = `services.${serviceName}`;
  let policy: RestartPolicy | undefined;
  if (service.restart !== undefined && service.restart !== "") {
    const [condition = "", retries] = service.restart.split(":");
    if (retries !== undefined && !/^\d+$/.test(retries)) {
      throw new ContainerSpecError(`${where}.restart: invalid retry count in "${service.restart}"`);
    }
    policy = strip({
      name: restartName(`${where}.restart`, condition),
      maximumRetryCount: retries !== undefined ? Number(retries) : undefined,
    });
  }
  const deploy: DeployRestartPolicy | undefined = service.deploy?.restart_policy;
  if (deploy !== undefined) {
    policy = strip({
      name: restartName(`${where}.deploy.restart_policy`, deploy.condition ?? ""),
      maximumRetryCount: deploy.max_attempts,
    });
  }
  return policy;
}

function restartName(where: string, condition: string): RestartPolicy["name"] {
  switch (condition) {
    case "":
    case "no":
    case "none":
      return "no";
    case "always":
    case "any":
      return "always";
    case "on-failure":
    case "unless-stopped":
      return condition;
    default:
      throw new ContainerSpecError(`${where}: invalid restart policy "${condition}"`);
  }
}

/** getDeployResources: service-level settings, then `deploy.resources` limits and reservations win. */
function resources(service: Service, ignore: (field: string) => void): ResourceLimits | undefined {
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  for (const [name, resource] of [
    ["limits", limits],
    ["reservations", reservations],
  ] as const) {
    if (isSet(resource?.devices)) ignore(`deploy.resources.${name}.devices`);
    if (isSet(resource?.generic_resources)) ignore(`deploy.resources.${name}.generic_resources`);
  }
  const cpus = limits?.cpus !== undefined && limits.cpus !== 0 ? limits.cpus : service.cpus;
  const result: ResourceLimits = strip({
    memoryBytes: limits?.memory !== undefined && limits.memory !== 0 ? limits.memory : service.mem_limit,
    memoryReservationBytes:
      reservations?.memory !== undefined && reservations.memory !== 0
        ? reservations.memory
        : service.mem_reservation,
    memorySwapBytes: service.memswap_limit,
    nanoCpus: cpus !== undefined ? Math.round(cpus * 1e9) : undefined,
    cpuShares: service.cpu_shares,
    cpuQuota: service.cpu_quota,
    cpuPeriod: service.cpu_period,
    cpusetCpus: service.cpuset,
    pidsLimit:
      limits?.pids !== undefined && limits.pids > 0
        ? limits.pids
        : service.pids_limit !== 0
          ? service.pids_limit
          : undefined,
    shmSizeBytes: service.shm_size,
    ulimits: nonEmpty(
      Object.entries(service.ulimits ?? {}).map(([name, u]) =>
        typeof u === "number" ? { name, soft: u, hard: u } : { name, soft: u.soft, hard: u.hard },
      ),
    ),
    // Compose sends no swappiness for 0 (its zero value), so the engine's default stays.
    memorySwappiness: service.mem_swappiness !== 0 ? service.mem_swappiness : undefined,
    oomKillDisable: service.oom_kill_disable,
    cpuRealtimePeriod: service.cpu_rt_period,
    cpuRealtimeRuntime: service.cpu_rt_runtime,
    deviceCgroupRules: nonEmpty(service.device_cgroup_rules),
    blkio: blkioLimits(service.blkio_config),
  });
  return Object.keys(result).length > 0 ? result : undefined;
}

/** `systempaths=unconfined` is the spec's unmaskedPaths, as Compose turns it into empty masked paths. */
function securityOptions(service: Service): string[] | undefined {
  return nonEmpty(service.security_opt?.filter((option) => option !== "systempaths=unconfined"));
}

/** A CDI device name (`vendor.com/class=name`) goes to device requests, which the spec lacks. */
const CDI_NAME = /^[a-z0-9][a-z0-9.-]*\/[a-z0-9][a-z0-9_.-]*=[a-zA-Z0-9_.:-]+$/i;

function devices(service: Service, ignore: (field: string) => void): ContainerSpec["devices"] {
  const out: { source: string; target: string; permissions: string }[] = [];
  for (const [i, device] of (service.devices ?? []).entries()) {
    const source = device.source ?? "";
    const target = device.target ?? source;
    if (source === target && CDI_NAME.test(source)) {
      ignore(`devices[${i}]`);
      continue;
    }
    out.push({ source, target, permissions: device.permissions ?? "rwm" });
  }
  return nonEmpty(out);
}

function logging(service: Service): ContainerSpec["logging"] {
  const driver = service.logging?.driver ?? service.log_driver;
  const options = service.logging?.options ?? service.log_opt;
  if (service.logging === undefined && service.log_driver === undefined && service.log_opt === undefined) {
    return undefined;
  }
  return { driver: driver ?? "", ...(options !== undefined ? { options: { ...options } } : {}) };
}

// --- helpers --------------------------------------------------------------------------------------

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === "" || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function nonEmpty<T>(list: readonly T[] | undefined): T[] | undefined {
  return list !== undefined && list.length > 0 ? [...list] : undefined;
}

/** The object without its undefined properties (so specs compare and print cleanly). */
function strip<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/** `blkio_config` as setBlkio passes it on; undefined when it sets nothing. */
function blkioLimits(config: Service["blkio_config"]): BlkioLimits | undefined {
  if (config === undefined) return undefined;
  const throttles = (list: readonly { readonly path: string; readonly rate: number }[] | undefined) =>
    nonEmpty(list?.map((d) => ({ path: d.path, rate: d.rate })));
  const limits: BlkioLimits = strip({
    weight: config.weight,
    weightDevice: nonEmpty(config.weight_device?.map((d) => ({ path: d.path, weight: d.weight }))),
    deviceReadBps: throttles(config.device_read_bps),
    deviceReadIops: throttles(config.device_read_iops),
    deviceWriteBps: throttles(config.device_write_bps),
    deviceWriteIops: throttles(config.device_write_iops),
  });
  return Object.keys(limits).length > 0 ? limits : undefined;
}
