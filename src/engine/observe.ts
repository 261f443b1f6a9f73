/**
 * What exists now: one label-filtered listing each of the project's containers (stopped ones
 * too), networks and volumes, plus a lookup by name of the few objects a project may use without
 * our labels (external networks and volumes, ones made by hand) and of the images its services
 * need. No decisions are taken here: reconcile.ts reads the result.
 */
import type {
  ContainerStatus,
  ContainerSummary,
  Labels,
  NetworkInfo,
  Runtime,
  VolumeInfo,
} from "../runtime/runtime.js";
import { CONFIG_HASH_LABEL, isOneOff, PROJECT_LABEL, projectFilter, SERVICE_LABEL } from "./labels.js";
import { containerNumber } from "./names.js";

export interface ObservedContainer {
  readonly id: string;
  readonly name: string;
  /** The service label; "" when absent. */
  readonly service: string;
  /** The container-number label; undefined when absent or malformed. */
  readonly number: number | undefined;
  readonly oneOff: boolean;
  readonly configHash: string | undefined;
  readonly status: ContainerStatus;
  readonly image: string;
  readonly imageId: string;
  readonly labels: Labels;
  readonly created: Date;
  readonly summary: ContainerSummary;
  /**
   * Names of the networks it joined; known only for a never-started container (observe inspects
   * those): a runtime may join the networks after the first once the container exists
   * (Containers.create), so a run killed in between leaves a container short of networks that
   * nothing else shows.
   */
  readonly networks?: readonly string[] | undefined;
}

export interface ObservedState {
  readonly project: string;
  /** Sorted by service, number, creation time, name. */
  readonly containers: readonly ObservedContainer[];
  /** Networks by name: the project's (by label) and any looked up by name. */
  readonly networks: ReadonlyMap<string, NetworkInfo>;
  /**
   * The project's networks whose name an entry of `networks` already has, oldest first. A runtime
   * whose racing creates can both land (Networks.createMayDuplicate) leaves a second network of
   * one name; from then on every use of the name fails as "ambiguous" until one is removed.
   */
  readonly duplicateNetworks: readonly NetworkInfo[];
  /** Volumes by name: the project's (by label) and any looked up by name. */
  readonly volumes: ReadonlyMap<string, VolumeInfo>;
  /** Image reference → local image ID; undefined when the image is not present. */
  readonly images: ReadonlyMap<string, string | undefined>;
  /** Image reference → when the local image was last tagged (pulled, built), when the runtime says. */
  readonly imagesTaggedAt?: ReadonlyMap<string, Date>;
}

/** Objects to look up by name besides the label listings. */
export interface ObserveLookups {
  readonly networks?: readonly string[];
  readonly volumes?: readonly string[];
  readonly images?: readonly string[];
}

export async function observe(
  runtime: Runtime,
  projectName: string,
  lookups: ObserveLookups = {},
  scope: { readonly containers?: boolean } = {},
): Promise<ObservedState> {
  const labels = projectFilter(projectName);
  // Images do not depend on the listings, so they are looked up alongside them (one round trip less).
  // `containers: false`: a caller that plans no container from them (run's one-off) spares the
  // listing, and the inspection of every never-started one.
  const [containers, networks, volumes, images] = await Promise.all([
    scope.containers === false ? [] : runtime.containers.list({ labels, all: true }),
    runtime.networks.list({ labels }),
    runtime.volumes.list({ labels }),
    Promise.all(unique(lookups.images).map(async (ref) => [ref, await runtime.images.inspect(ref)] as const)),
  ]);
  const knownNetworks = new Set(networks.map((n) => n.name));
  const knownVolumes = new Set(volumes.map((v) => v.name));
  const unstarted = containers.filter(
    (c) => c.status === "created" && c.labels[CONFIG_HASH_LABEL] !== undefined,
  );
  const [extraNetworks, extraVolumes, joined] = await Promise.all([
    Promise.all(
      unique(lookups.networks)
        .filter((n) => !knownNetworks.has(n))
        .map((n) => runtime.networks.inspect(n)),
    ),
    Promise.all(
      unique(lookups.volumes)
        .filter((v) => !knownVolumes.has(v))
        .map((v) => runtime.volumes.inspect(v)),
    ),
    Promise.all(
      unstarted.map(async (c) => {
        const state = await runtime.containers.inspect(c.id);
        return [c.id, Object.keys(state?.networks ?? {})] as const;
      }),
    ),
  ]);
  return observedState(projectName, {
    containers,
    joinedNetworks: new Map(joined),
    networks: [...networks, ...extraNetworks.filter((n): n is NetworkInfo => n !== undefined)],
    volumes: [...volumes, ...extraVolumes.filter((v): v is VolumeInfo => v !== undefined)],
    images: Object.fromEntries(images.map(([ref, image]) => [ref, image?.id])),
    imagesTaggedAt: Object.fromEntries(
      images.flatMap(([ref, image]) => (image?.lastTagTime ? [[ref, image.lastTagTime]] : [])),
    ),
  });
}

/**
 * Builds the state from raw listings (what `observe` does after its calls; tests build states
 * with it directly). Containers without the config-hash label are not Compose's and are left out,
 * as Compose's own filters leave them out.
 */
export function observedState(
  project: string,
  raw: {
    readonly containers?: readonly ContainerSummary[];
    readonly networks?: readonly NetworkInfo[];
    readonly volumes?: readonly VolumeInfo[];
    readonly images?: Readonly<Record<string, string | undefined>>;
    readonly imagesTaggedAt?: Readonly<Record<string, Date>>;
    /** Container ID → names of the networks it joined (never-started containers, see ObservedContainer). */
    readonly joinedNetworks?: ReadonlyMap<string, readonly string[]>;
  },
): ObservedState {
  const containers = (raw.containers ?? [])
    .filter((c) => c.labels[CONFIG_HASH_LABEL] !== undefined)
    .map((c) => toObserved(c, raw.joinedNetworks?.get(c.id)))
    .sort(compareContainers);
  const networks = new Map<string, NetworkInfo>();
  const duplicateNetworks: NetworkInfo[] = [];
  // Of networks sharing a name, keep the project's own, then the oldest (the one containers joined
  // first); the project's others are duplicates. A foreign twin is never ours to count or remove.
  const ours = (n: NetworkInfo): boolean => n.labels[PROJECT_LABEL] === project;
  const seenIds = new Set<string>();
  const ordered = [...(raw.networks ?? [])].sort(
    (a, b) => Number(ours(b)) - Number(ours(a)) || a.created.getTime() - b.created.getTime(),
  );
  for (const n of ordered) {
    if (seenIds.has(n.id)) continue;
    seenIds.add(n.id);
    if (!networks.has(n.name)) networks.set(n.name, n);
    else if (ours(n)) duplicateNetworks.push(n);
  }
  const volumes = new Map<string, VolumeInfo>();
  for (const v of raw.volumes ?? []) if (!volumes.has(v.name)) volumes.set(v.name, v);
  return {
    project,
    containers,
    networks,
    duplicateNetworks,
    volumes,
    images: new Map(Object.entries(raw.images ?? {})),
    imagesTaggedAt: new Map(Object.entries(raw.imagesTaggedAt ?? {})),
  };
}

function toObserved(c: ContainerSummary, networks: readonly string[] | undefined): ObservedContainer {
  return {
    ...(networks !== undefined ? { networks } : {}),
    id: c.id,
    name: c.name,
    service: c.labels[SERVICE_LABEL] ?? "",
    number: containerNumber(c.labels),
    oneOff: isOneOff(c.labels),
    configHash: c.labels[CONFIG_HASH_LABEL],
    status: c.status,
    image: c.image,
    imageId: c.imageId,
    labels: c.labels,
    created: c.created,
    summary: c,
  };
}

function compareContainers(a: ObservedContainer, b: ObservedContainer): number {
  return (
    compareText(a.service, b.service) ||
    (a.number ?? Number.MAX_SAFE_INTEGER) - (b.number ?? Number.MAX_SAFE_INTEGER) ||
    Number(a.oneOff) - Number(b.oneOff) ||
    a.created.getTime() - b.created.getTime() ||
    compareText(a.name, b.name)
  );
}

/** Running, restarting or paused: a container `up` leaves alone and `stop` or `down` must stop first. */
const RUNNING_STATES: ReadonlySet<ContainerStatus> = new Set<ContainerStatus>([
  "running",
  "restarting",
  "paused",
]);

export function isRunning(status: ContainerStatus): boolean {
  return RUNNING_STATES.has(status);
}

/** The containers of one service (one-off containers excluded). */
export function serviceContainers(state: ObservedState, service: string): ObservedContainer[] {
  return state.containers.filter((c) => c.service === service && !c.oneOff);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function unique(values: readonly string[] | undefined): string[] {
  return [...new Set(values ?? [])].sort(compareText);
}
