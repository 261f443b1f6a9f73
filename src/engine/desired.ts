/**
 * What a project asks for, read off the loaded model: which services a run touches, how many
 * replicas each wants, the image it runs, the networks and volumes it uses, and the specs those
 * networks, volumes and images are made from. Pure, and the one place each of these facts is
 * computed: the planners (reconcile.ts, lifecycle.ts), `up`'s lookups (index.ts) and the dashboard
 * all read them here.
 */
import type { ServiceGraph } from "../graph/graph.js";
import type { Project, Service } from "../project/model.js";
import type { BuildSpec, NetworkSpec, VolumeSpec } from "../runtime/runtime.js";
import { PlanError } from "./errors.js";
import { COMPOSE_VERSION, NETWORK_LABEL, PROJECT_LABEL, VERSION_LABEL, VOLUME_LABEL } from "./labels.js";
import { defaultImageName } from "./names.js";
import { compareText, type ObservedContainer, type ObservedState } from "./observe.js";
import type { PlanWarning } from "./plan.js";

/** Replicas wanted for a service: `--scale`, then `deploy.replicas`, then `scale`, then 1. */
export function desiredReplicas(
  name: string,
  service: Service,
  scale: Readonly<Record<string, number>> | undefined,
): number {
  return scale?.[name] ?? service.deploy?.replicas ?? service.scale ?? 1;
}

/** The image a service runs: `image:`, else the name Compose gives a built image. */
export function imageReference(project: Project, name: string): string {
  return project.services[name]?.image ?? defaultImageName(project.name, name);
}

/** Services the run touches: the named ones and (unless noDeps) what they depend on. */
export function servicesInScope(
  project: Project,
  graph: ServiceGraph,
  services: readonly string[] | undefined,
  noDeps: boolean | undefined,
): Set<string> {
  if (!services || services.length === 0) return new Set(Object.keys(project.services));
  for (const name of services) {
    if (!Object.hasOwn(project.services, name)) throw new PlanError(`no such service: ${name}`);
  }
  return noDeps ? new Set(services) : graph.withDependencies(services);
}

/** The keys of the networks a service joins (none with `network_mode`). */
export function serviceNetworkKeys(service: Service): string[] {
  if (service.network_mode !== undefined) return [];
  return Object.keys(service.networks ?? {}).sort(compareText);
}

/** The keys of the named project volumes a service mounts. */
export function serviceVolumeKeys(project: Project, service: Service): string[] {
  const keys = new Set<string>();
  for (const mount of service.volumes ?? []) {
    if (
      mount.type === "volume" &&
      mount.source !== undefined &&
      Object.hasOwn(project.volumes, mount.source)
    ) {
      keys.add(mount.source);
    }
  }
  return [...keys].sort(compareText);
}

export function networkSpec(project: Project, key: string): NetworkSpec {
  const network = project.networks[key];
  if (!network) throw new PlanError(`network "${key}" is not defined`);
  const pools = (network.ipam?.config ?? []).map((pool) => ({
    subnet: pool.subnet,
    ipRange: pool.ip_range,
    gateway: pool.gateway,
    auxAddresses: pool.aux_addresses,
  }));
  return {
    name: network.name,
    driver: network.driver,
    driverOpts: network.driver_opts,
    internal: network.internal,
    attachable: network.attachable,
    enableIPv6: network.enable_ipv6,
    ipam: network.ipam ? { driver: network.ipam.driver, pools } : undefined,
    labels: {
      ...network.labels,
      [NETWORK_LABEL]: key,
      [PROJECT_LABEL]: project.name,
      [VERSION_LABEL]: COMPOSE_VERSION,
    },
  };
}

export function volumeSpec(project: Project, key: string): VolumeSpec {
  const volume = project.volumes[key];
  if (!volume) throw new PlanError(`volume "${key}" is not defined`);
  return {
    name: volume.name,
    driver: volume.driver,
    driverOpts: volume.driver_opts,
    labels: {
      ...volume.labels,
      [VOLUME_LABEL]: key,
      [PROJECT_LABEL]: project.name,
      [VERSION_LABEL]: COMPOSE_VERSION,
    },
  };
}

/** The build of a service with `build:`, tagged with its image reference and its own `tags`. */
export function buildSpec(name: string, service: Service, reference: string): BuildSpec {
  const build = service.build ?? {};
  const context = build.context ?? ".";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith("git@")) {
    throw new PlanError(`service "${name}": remote build contexts (${context}) are not supported`, {
      service: name,
    });
  }
  const refused = classicBuilderRefusal(build);
  if (refused !== undefined) {
    throw new PlanError(`service "${name}": ${refused}`, {
      service: name,
      hint: "the engine's classic builder (API 1.41) is the one berth drives",
    });
  }
  const args: Record<string, string> = {};
  for (const [key, value] of Object.entries(build.args ?? {})) if (value !== null) args[key] = value;
  const extraHosts = Object.entries(build.extra_hosts ?? {}).flatMap(([host, ips]) =>
    ips.map((ip) => `${host}:${ip}`),
  );
  return {
    context,
    dockerfile: build.dockerfile_inline === undefined ? build.dockerfile : undefined,
    dockerfileInline: build.dockerfile_inline,
    tags: [reference, ...(build.tags ?? [])],
    args,
    target: build.target,
    labels: build.labels,
    cacheFrom: build.cache_from,
    networkMode: build.network,
    pull: build.pull,
    noCache: build.no_cache,
    platform: build.platforms?.[0] ?? service.platform,
    extraHosts: extraHosts.length > 0 ? extraHosts : undefined,
    shmSizeBytes: build.shm_size,
  };
}

/** What `up` does about a service's image, from its `pull_policy` (compose-go's `GetPullPolicy`). */
export type PullPolicy =
  | { readonly kind: "always" | "never" | "missing" | "build" }
  /** `daily`, `weekly`, `every_<n><unit>…`: pull when the local image was tagged longer ago than this. */
  | { readonly kind: "refresh"; readonly everyMs: number };

const UNIT_MS: Readonly<Record<string, number>> = {
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
};

/** `pull_policy` as `up` reads it: `if_not_present` and anything unknown mean `missing`. */
export function pullPolicyOf(policy: string | undefined): PullPolicy {
  switch (policy) {
    case "always":
    case "never":
    case "build":
    case "missing":
      return { kind: policy };
    case "daily":
      return { kind: "refresh", everyMs: UNIT_MS["d"] ?? 0 };
    case "weekly":
      return { kind: "refresh", everyMs: UNIT_MS["w"] ?? 0 };
  }
  // The schema admits `every_` followed by whole numbers with a unit each (`every_1d12h`).
  const every = /^every_((?:\d+[wdhms])+)$/.exec(policy ?? "")?.[1];
  if (every === undefined) return { kind: "missing" };
  let everyMs = 0;
  for (const [, count, unit] of every.matchAll(/(\d+)([wdhms])/g))
    everyMs += Number(count) * (UNIT_MS[unit ?? ""] ?? 0);
  return { kind: "refresh", everyMs };
}

/**
 * What the classic builder cannot do, in Compose's words (`checkClassicBuilderSupported`): these
 * need BuildKit's session, which the engine's API does not offer to a plain HTTP client.
 */
function classicBuilderRefusal(build: NonNullable<Service["build"]>): string | undefined {
  if ((build.platforms?.length ?? 0) > 1) return "the classic builder doesn't support multi-arch build";
  if (build.privileged === true) return "the classic builder doesn't support privileged mode";
  if (Object.keys(build.additional_contexts ?? {}).length > 0)
    return "the classic builder doesn't support additional contexts";
  if ((build.ssh?.length ?? 0) > 0) return "the classic builder doesn't support SSH keys";
  if ((build.secrets?.length ?? 0) > 0) return "the classic builder doesn't support secrets";
  return undefined;
}

/**
 * Compose's orphans (`isOrphaned`): containers of services the file no longer has (services disabled
 * by a profile are still the project's), and one-off containers that have exited.
 */
export function findOrphans(
  project: Project,
  disabledServices: readonly string[],
  observed: ObservedState,
): ObservedContainer[] {
  const known = new Set([...Object.keys(project.services), ...disabledServices]);
  return observed.containers.filter((c) =>
    c.oneOff ? c.status === "exited" || c.status === "dead" : !known.has(c.service),
  );
}

/** The warning `up` and `down` give about orphans they leave in place, in Compose's words. */
export function orphanWarning(projectName: string, orphans: readonly ObservedContainer[]): PlanWarning {
  return {
    resource: "project",
    id: projectName,
    text:
      `Found orphan containers (${orphans.map((c) => c.name).join(", ")}) for this project. ` +
      "If you removed or renamed this service in your compose file, you can run this command with " +
      "the --remove-orphans flag to clean it up.",
  };
}
