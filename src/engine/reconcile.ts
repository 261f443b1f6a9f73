/**
 * `up` as a pure function: (Project, ServiceGraph, ObservedState, UpOptions) → Plan. No I/O; the
 * same inputs give the same plan, and a second `up` of an unchanged project gives a plan with no
 * container operations.
 *
 * The rules are Docker Compose's (`pkg/compose/reconcile.go`, `convergence.go`):
 * - networks and volumes the selected services use are created when missing; external ones must
 *   exist; one found by name without our labels is used, with a warning;
 * - each service gets `--scale` > `deploy.replicas`/`scale` > 1 containers: up-to-date ones are kept
 *   (and started when stopped), diverged ones recreated (config-hash label differs, the image
 *   changed, `--force-recreate`; never with `--no-recreate`), missing numbers created (lowest free
 *   number first), extras removed (obsolete ones first, then the highest numbers);
 * - a recreate is four steps so the old container serves until the new one exists: create under
 *   `<old id[:12]>_<name>`, stop the old one, remove it, rename the new one. A run killed between
 *   them leaves a temporary-named container, which the next run adopts (when it is up to date) or
 *   removes; a kept container it was to replace is stopped and started again, since the dead run
 *   may have asked for its stop, which the engine finishes after the run is gone;
 * - a service sharing a recreated service's namespaces (`network_mode`/`ipc`/`pid`: `service:x`) or
 *   volumes (`volumes_from: x`) is recreated too; dependents with `depends_on.restart: true` are
 *   stopped once the replacement exists (before the old container stops) and started again after,
 *   and after a cut-short recreate they are stopped and started like the container it replaced;
 * - start order follows `depends_on`: `service_started` is an edge, `service_healthy` and
 *   `service_completed_successfully` a shared wait node; conditions are checked even when nothing
 *   has to start, as Compose does;
 * - containers of services no longer in the file are orphans: removed with `removeOrphans`, else
 *   reported as a warning.
 * What cannot work fails here, before anything changes: a fixed host port on a service with more
 * than one replica, a missing external network or volume, a missing image that may not be pulled.
 */
import type { ServiceGraph } from "../graph/graph.js";
import type { Project, Service } from "../project/model.js";
import type { ContainerSpec, NetworkInfo } from "../runtime/runtime.js";
import { containerSpecFor } from "./container-spec.js";
import {
  buildSpec,
  desiredReplicas,
  findOrphans,
  imageReference,
  networkSpec,
  orphanWarning,
  pullPolicyOf,
  serviceNetworkKeys,
  servicesInScope,
  serviceVolumeKeys,
  volumeSpec,
} from "./desired.js";
import { PlanError } from "./errors.js";
import { serviceConfigHash } from "./hash.js";
import { CONFIG_HASH_LABEL, PROJECT_LABEL, REPLACE_LABEL } from "./labels.js";
import { replacedSlot, replacementName } from "./names.js";
import {
  compareText,
  isRunning,
  type ObservedContainer,
  type ObservedState,
  serviceContainers,
} from "./observe.js";
import { containerResource, type FileCopy, type Plan, PlanBuilder, stopOperation } from "./plan.js";

export interface UpOptions {
  /** Services named on the command line; empty or absent means all. */
  readonly services?: readonly string[];
  /** Do not bring up the named services' dependencies. */
  readonly noDeps?: boolean;
  readonly forceRecreate?: boolean;
  readonly noRecreate?: boolean;
  readonly removeOrphans?: boolean;
  /** Replicas per service, overriding `deploy.replicas` and `scale`. */
  readonly scale?: Readonly<Record<string, number>>;
  /** Create, but do not start. */
  readonly noStart?: boolean;
  /** Resolve only once every started service is running (healthy when it has a healthcheck). */
  readonly wait?: boolean;
  readonly waitTimeoutS?: number;
  /** Stop timeout for containers that are stopped or replaced. */
  readonly timeoutS?: number;
  /** `policy` (the default) follows each service's `pull_policy`. */
  readonly pull?: "always" | "missing" | "never" | "policy";
  /** Build images before starting containers. */
  readonly build?: boolean;
  /** Never build, even when the image is missing. */
  readonly noBuild?: boolean;
  /** `--quiet-pull`: pulls (and builds) report only their start and end, not their progress. */
  readonly quietPull?: boolean;
  /** Plan only; change nothing. */
  readonly dryRun?: boolean;
}

/** What the plan needs besides the model, from the loader and the caller. */
export interface ReconcileContext {
  /** Absolute paths of the compose files (the `project.config_files` label). */
  readonly configFiles?: readonly string[];
  /** Absolute paths of `--env-file` files (the `project.environment_file` label). */
  readonly environmentFiles?: readonly string[];
  /** Services disabled by profiles: their containers are not orphans. */
  readonly disabledServices?: readonly string[];
  /** Images were pulled and built already in this run: plan no image operations. */
  readonly imagesReady?: boolean;
  /** Milliseconds since the epoch, for `pull_policy: daily` and the like; default the clock's. */
  readonly now?: number;
  /** How a person makes a missing external network or volume (Runtime.manualCreateCommand), for hints. */
  readonly manualCreateCommand?: ((kind: "network" | "volume", name: string) => string) | undefined;
}

type RecreatePolicy = "diverged" | "force" | "never";

export function reconcile(
  project: Project,
  graph: ServiceGraph,
  observed: ObservedState,
  options: UpOptions = {},
  context: ReconcileContext = {},
): Plan {
  return new Reconciler(project, graph, observed, options, context).run();
}

/** Services a service shares namespaces or volumes with: recreating one recreates it. */
function namespaceParents(service: Service): string[] {
  const parents = new Set<string>();
  for (const mode of [service.network_mode, service.ipc, service.pid, service.uts, service.cgroup]) {
    if (mode?.startsWith("service:")) parents.add(mode.slice("service:".length));
  }
  for (const from of service.volumes_from ?? []) {
    if (!from.startsWith("container:")) parents.add(from.split(":")[0] ?? from);
  }
  return [...parents].sort(compareText);
}

interface Slot {
  readonly number: number;
  /** The container that will hold the number: the canonical one or an adopted leftover. */
  readonly container: ObservedContainer;
  /** A leftover to rename into place, with the canonical container it replaces (if any). */
  readonly adopt?: { readonly replacing: ObservedContainer | undefined };
  readonly obsolete: string | undefined;
  /**
   * A leftover replacement of this very container exists: a run died in the middle of recreating
   * it, perhaps after asking the engine to stop it. The engine finishes that stop on its own, so
   * a container seen running now may be stopped a moment later by a run that is gone.
   */
  readonly recreateCutShort?: boolean;
}

interface PendingStart {
  /** ID of an observed container, or the final name of one the plan creates or renames. */
  readonly container: string;
  readonly after: readonly number[];
  readonly reason: string;
  /** Files to copy in first: the container was never started, so a killed run may have missed them. */
  readonly copies?: readonly FileCopy[] | undefined;
}

interface ServiceNodes {
  /** Nodes after which the service's containers exist under their final names. */
  readonly materialize: number[];
  /** Nodes after which the service counts as started (for dependents). */
  startEnds: number[];
  recreated: boolean;
}

/** What the planning of one service's containers shares. */
interface ServicePass {
  readonly name: string;
  readonly policy: RecreatePolicy;
  readonly desired: number;
  readonly nodes: ServiceNodes;
  /** Starts to plan after every service's containers, by number. */
  readonly starts: Map<number, PendingStart>;
  /** The name replica `number` has once the plan is done. */
  finalName(number: number): string;
  /** Why the container must be recreated under the service's policy; undefined when it stays. */
  recreateReason(c: ObservedContainer): string | undefined;
  /** Up to date, `--force-recreate` aside (how leftovers are ranked and chosen for adoption). */
  upToDate(c: ObservedContainer): boolean;
}

class Reconciler {
  private readonly plan = new PlanBuilder();
  private readonly scope: Set<string>;
  /** Services `--force-recreate` applies to: the named ones, or all. */
  private readonly targeted: Set<string>;
  private readonly order: string[];
  private readonly networkNodes = new Map<string, number>();
  private readonly volumeNodes = new Map<string, number>();
  private readonly imageNodes = new Map<string, number>();
  private readonly services = new Map<string, ServiceNodes>();
  /** Containers stopped by the plan without being recreated (restart: true dependents). */
  private readonly stoppedByPlan = new Map<string, number>();
  /**
   * Services with a leftover of a cut-short recreate: the dead run may have been stopping their
   * `restart: true` dependents (it stops them once the replacement exists), so those are stopped
   * and started again like the container it was replacing.
   */
  private readonly recreatesCutShort = new Set<string>();
  private readonly orphanRemovals: number[] = [];
  /** Start nodes to add once every service's create phase is planned, by service and number. */
  private readonly pendingStarts = new Map<string, Map<number, PendingStart>>();
  private readonly specs = new Map<string, { spec: ContainerSpec; copies: readonly FileCopy[] }>();

  constructor(
    private readonly project: Project,
    private readonly graph: ServiceGraph,
    private readonly observed: ObservedState,
    private readonly options: UpOptions,
    private readonly context: ReconcileContext,
  ) {
    this.scope = servicesInScope(project, graph, options.services, options.noDeps);
    this.targeted = new Set(
      options.services && options.services.length > 0 ? options.services : Object.keys(project.services),
    );
    this.order = graph.startOrder().filter((name) => this.scope.has(name));
    // The graph of a project loaded with skipped stages may lack services; keep them, in name order.
    for (const name of [...this.scope].sort(compareText))
      if (!this.order.includes(name)) this.order.push(name);
  }

  run(): Plan {
    this.checkReplicas();
    this.planOrphans();
    this.planNetworks();
    this.planVolumes();
    if (!this.context.imagesReady) this.planImages();
    for (const name of this.order) this.planService(name);
    if (!this.options.noStart) {
      for (const name of this.order) this.planStartPhase(name);
      if (this.options.wait) for (const name of this.order) this.planWait(name);
    }
    return this.plan.build();
  }

  private service(name: string): Service {
    const service = this.project.services[name];
    if (!service) throw new PlanError(`no such service: ${name}`);
    return service;
  }

  private replicas(name: string): number {
    return desiredReplicas(name, this.service(name), this.options.scale);
  }

  // --- checks that must fail before any change ----------------------------------------------

  private checkReplicas(): void {
    for (const name of this.order) {
      const service = this.service(name);
      const replicas = this.replicas(name);
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw new PlanError(`service "${name}": invalid number of replicas ${replicas}`, { service: name });
      }
      if (replicas <= 1) continue;
      if (service.container_name !== undefined) {
        throw new PlanError(
          `service "${name}" has ${replicas} replicas but sets container_name "${service.container_name}": ` +
            "container names are unique, so it cannot be scaled past 1",
          { service: name, hint: "remove container_name to scale the service" },
        );
      }
      for (const port of service.ports ?? []) {
        const published = port.published;
        if (published === undefined || published === "") continue;
        const [low, high] = published.split("-").map(Number);
        const count = high === undefined ? 1 : (high ?? 0) - (low ?? 0) + 1;
        if (count >= replicas) continue;
        const mapping = `${port.host_ip ? `${port.host_ip}:` : ""}${published}:${port.target}/${port.protocol}`;
        throw new PlanError(
          high === undefined
            ? `service "${name}" has ${replicas} replicas but publishes the fixed host port ${published} ` +
                `(${mapping}); only one container can bind it`
            : `service "${name}" has ${replicas} replicas but its host port range ${published} (${mapping}) ` +
                `has only ${count} ports`,
          {
            service: name,
            hint: `publish a range with one port per replica (e.g. "${low ?? published}-${(low ?? 0) + replicas - 1}:${port.target}") or let the engine choose ("${port.target}")`,
          },
        );
      }
    }
  }

  // --- orphans ------------------------------------------------------------------------------

  private planOrphans(): void {
    const orphans = findOrphans(this.project, this.context.disabledServices ?? [], this.observed);
    if (orphans.length === 0) return;
    if (!this.options.removeOrphans) {
      this.plan.warnings.push(orphanWarning(this.project.name, orphans));
      return;
    }
    for (const c of orphans) {
      const resource = containerResource(c.service, c.number);
      const stop = isRunning(c.status)
        ? [this.plan.add(resource, this.stopOp(c.id, c.name), "orphaned container")]
        : [];
      this.orphanRemovals.push(
        this.plan.add(
          resource,
          { kind: "RemoveContainer", container: c.id, display: c.name, volumes: false },
          "orphaned container",
          stop,
        ),
      );
    }
  }

  // --- networks, volumes, images ------------------------------------------------------------

  private planNetworks(): void {
    for (const key of this.usedBy((service) => serviceNetworkKeys(service))) {
      const network = this.project.networks[key];
      if (!network) throw new PlanError(`network "${key}" is used but not defined`);
      const found = this.observed.networks.get(network.name);
      if (network.external) {
        if (!found) {
          throw new PlanError(`network ${network.name} declared as external, but could not be found`, {
            hint: this.createFirst("network", network.name),
          });
        }
        continue;
      }
      if (found) {
        const removals = this.planDuplicateNetworks(key, found);
        if (removals !== undefined) this.networkNodes.set(key, removals);
        if (found.labels[PROJECT_LABEL] === undefined) {
          this.plan.warnings.push({
            resource: "network",
            id: network.name,
            text: "a network with this name exists but was not created for this project; set `external: true` to use an existing network",
          });
        } else if (network.driver !== undefined && found.driver !== network.driver) {
          this.plan.warnings.push({
            resource: "network",
            id: network.name,
            text: `exists with driver ${found.driver}, not ${network.driver}; run \`down\` then \`up\` to recreate it`,
          });
        }
        continue;
      }
      this.networkNodes.set(
        key,
        this.plan.add(
          `network:${key}`,
          { kind: "CreateNetwork", name: network.name, spec: networkSpec(this.project, key) },
          "not found",
        ),
      );
    }
  }

  /**
   * Removes the project's other networks named like `kept` (left by two runs that raced, see
   * ObservedState.duplicateNetworks) before any container joins the name; returns the last removal.
   */
  private planDuplicateNetworks(key: string, kept: NetworkInfo): number | undefined {
    let last: number | undefined;
    for (const twin of this.observed.duplicateNetworks) {
      if (twin.name !== kept.name || twin.id === kept.id) continue;
      last = this.plan.add(
        `network:${key}`,
        { kind: "RemoveNetwork", name: twin.name, id: twin.id },
        `duplicate of ${kept.id.slice(0, 12)}`,
        last === undefined ? [] : [last],
      );
    }
    return last;
  }

  private planVolumes(): void {
    for (const key of this.usedBy((service) => serviceVolumeKeys(this.project, service))) {
      const volume = this.project.volumes[key];
      if (!volume) continue;
      const found = this.observed.volumes.get(volume.name);
      if (volume.external) {
        if (!found) {
          throw new PlanError(`external volume "${volume.name}" not found`, {
            hint: this.createFirst("volume", volume.name),
          });
        }
        continue;
      }
      if (found) {
        if (found.labels[PROJECT_LABEL] === undefined) {
          this.plan.warnings.push({
            resource: "volume",
            id: volume.name,
            text: "already exists but was not created for this project; use `external: true` to use an existing volume",
          });
        }
        continue;
      }
      this.volumeNodes.set(
        key,
        this.plan.add(
          `volume:${key}`,
          { kind: "CreateVolume", name: volume.name, spec: volumeSpec(this.project, key) },
          "not found",
        ),
      );
    }
  }

  /** The keys (sorted) of what the services that run containers use. */
  private usedBy(keysOf: (service: Service) => readonly string[]): string[] {
    const used = new Set<string>();
    for (const name of this.order) {
      if (this.replicas(name) === 0) continue;
      for (const key of keysOf(this.service(name))) used.add(key);
    }
    return [...used].sort(compareText);
  }

  private createFirst(kind: "network" | "volume", name: string): string {
    const command = this.context.manualCreateCommand?.(kind, name);
    return command === undefined ? "create it first" : `create it first (${command})`;
  }

  private planImages(): void {
    const actions = new Map<string, { kind: "pull" | "build"; service: string; reason: string }>();
    for (const name of [...this.order].sort(compareText)) {
      if (this.replicas(name) === 0) continue;
      const action = this.imageAction(name);
      if (!action) continue;
      const reference = imageReference(this.project, name);
      const existing = actions.get(reference);
      if (!existing || (existing.kind === "pull" && action.kind === "build")) {
        actions.set(reference, { ...action, service: name });
      }
    }
    for (const [reference, action] of [...actions].sort((a, b) => compareText(a[0], b[0]))) {
      const resource = `image:${reference}`;
      const service = this.service(action.service);
      const id =
        action.kind === "pull"
          ? this.plan.add(
              resource,
              { kind: "PullImage", reference, platform: service.platform },
              action.reason,
            )
          : this.plan.add(
              resource,
              { kind: "BuildImage", reference, spec: buildSpec(action.service, service, reference) },
              action.reason,
            );
      this.imageNodes.set(reference, id);
    }
  }

  private imageAction(name: string): { kind: "pull" | "build"; reason: string } | undefined {
    const service = this.service(name);
    const reference = imageReference(this.project, name);
    const present = this.observed.images.get(reference) !== undefined;
    if (service.build) {
      if (this.options.noBuild) {
        if (present) return undefined;
        throw new PlanError(
          `image ${reference} for service "${name}" is not built and --no-build was given`,
          {
            service: name,
          },
        );
      }
      if (this.options.build) return { kind: "build", reason: "--build" };
      if (service.pull_policy === "build") return { kind: "build", reason: "pull_policy build" };
      return present ? undefined : { kind: "build", reason: "image not found" };
    }
    if (service.image === undefined) {
      throw new PlanError(`service "${name}" has neither an image nor a build context specified`, {
        service: name,
      });
    }
    const flag =
      this.options.pull !== undefined && this.options.pull !== "policy" ? this.options.pull : undefined;
    const policy = flag !== undefined ? { kind: flag } : pullPolicyOf(service.pull_policy);
    if (policy.kind === "always")
      return { kind: "pull", reason: flag ? "--pull always" : "pull_policy always" };
    if (policy.kind === "refresh" && present && this.refreshDue(reference, policy.everyMs)) {
      return { kind: "pull", reason: `pull_policy ${service.pull_policy ?? ""}` };
    }
    if (present) return undefined;
    if (policy.kind === "never") {
      throw new PlanError(
        `image ${reference} for service "${name}" is not present and its pull policy is never`,
        { service: name, hint: "pull or build the image first" },
      );
    }
    return { kind: "pull", reason: "image not found" };
  }

  /**
   * Whether a refresh policy's window has passed since the image was last tagged, as Compose's
   * `mustPull` compares `LastTagTime`; an image the runtime gives no time for is due.
   */
  private refreshDue(reference: string, everyMs: number): boolean {
    const tagged = this.observed.imagesTaggedAt?.get(reference);
    if (tagged === undefined) return true;
    return (this.context.now ?? Date.now()) > tagged.getTime() + everyMs;
  }

  // --- containers -----------------------------------------------------------------------------

  private policy(name: string): RecreatePolicy {
    if (this.options.noRecreate) return "never";
    if (this.options.forceRecreate && this.targeted.has(name)) return "force";
    return "diverged";
  }

  private spec(name: string, number: number): { spec: ContainerSpec; copies: readonly FileCopy[] } {
    const key = `${name}\0${number}`;
    const cached = this.specs.get(key);
    if (cached) return cached;
    const made = containerSpecFor(this.project, name, number, {
      configFiles: this.context.configFiles ?? [],
      environmentFiles: this.context.environmentFiles,
      imageId: this.observed.images.get(imageReference(this.project, name)),
      scale: this.options.scale,
    });
    if (number === 1 && made.ignored.length > 0) {
      this.plan.warnings.push({
        resource: "container",
        id: name,
        text: `not supported, ignored: ${made.ignored.join(", ")}`,
      });
    }
    const result = { spec: made.spec, copies: made.copies };
    this.specs.set(key, result);
    return result;
  }

  /** Why a container must be recreated, or undefined when it is up to date. */
  private mustRecreate(
    name: string,
    policy: RecreatePolicy,
    container: ObservedContainer,
    hash: string,
    parentRecreated: string | undefined,
  ): string | undefined {
    if (policy === "never") return undefined;
    if (policy === "force") return "--force-recreate";
    if (parentRecreated !== undefined) return `${parentRecreated} recreated`;
    if (container.configHash !== hash) return "config changed";
    const imageId = this.observed.images.get(imageReference(this.project, name));
    if (imageId !== undefined && container.imageId !== "" && container.imageId !== imageId)
      return "image changed";
    if (container.status === "dead") return "container is dead";
    const missing = this.missingNetworks(name, container);
    if (missing !== undefined) return `not connected to ${missing} (its create was cut short)`;
    return undefined;
  }

  /** The first network the container should be on and is not, when observe knows its networks. */
  private missingNetworks(name: string, container: ObservedContainer): string | undefined {
    if (container.networks === undefined || container.number === undefined) return undefined;
    const joined = new Set(container.networks);
    const wanted = Object.keys(this.spec(name, container.number).spec.networks ?? {});
    return wanted.sort(compareText).find((network) => !joined.has(network));
  }

  private infraDeps(name: string): number[] {
    const service = this.service(name);
    const deps: number[] = [];
    for (const key of serviceNetworkKeys(service)) {
      const node = this.networkNodes.get(key);
      if (node !== undefined) deps.push(node);
    }
    for (const key of serviceVolumeKeys(this.project, service)) {
      const node = this.volumeNodes.get(key);
      if (node !== undefined) deps.push(node);
    }
    const image = this.imageNodes.get(imageReference(this.project, name));
    if (image !== undefined) deps.push(image);
    for (const dep of this.graph.dependenciesOf(name).keys()) {
      deps.push(...(this.services.get(dep)?.materialize ?? []));
    }
    return deps;
  }

  private stopOp(container: string, display: string, recreate = false) {
    return stopOperation(container, display, this.options.timeoutS, recreate);
  }

  private removeContainer(
    c: ObservedContainer,
    display: string,
    reason: string,
    deps: number[] = [],
  ): number {
    const resource = containerResource(c.service, c.number);
    const stop = isRunning(c.status)
      ? [this.stoppedByPlan.get(c.id) ?? this.plan.add(resource, this.stopOp(c.id, display), reason, deps)]
      : deps;
    return this.plan.add(
      resource,
      { kind: "RemoveContainer", container: c.id, display, volumes: false },
      reason,
      stop,
    );
  }

  /**
   * The containers of one service: settle what earlier runs left per number, scale down, then
   * keep, adopt or recreate each remaining slot and create the missing numbers. Starts are only
   * collected here (pendingStarts): they are planned once every service's containers are.
   */
  private planService(name: string): void {
    const pass = this.servicePass(name);
    const { slots, leftoverRemovals } = this.settleSlots(pass);
    const kept = this.scaleDown(pass, slots);
    const cutShortDependency = [...this.graph.dependenciesOf(name)].find(
      ([dep, config]) => config.restart && this.recreatesCutShort.has(dep),
    )?.[0];
    for (const slot of kept) {
      if (slot.adopt) this.adoptLeftover(pass, slot, slot.adopt.replacing);
      else if (slot.obsolete !== undefined) {
        const removals = leftoverRemovals.get(slot.number) ?? [];
        const rename = this.planRecreate(name, slot.number, slot.container, slot.obsolete, removals);
        pass.nodes.materialize.push(rename);
        pass.nodes.recreated = true;
        pass.starts.set(slot.number, {
          container: pass.finalName(slot.number),
          after: [rename],
          reason: "recreated",
        });
      } else this.keepSlot(pass, slot, cutShortDependency);
    }
    this.createMissing(pass, new Set(kept.map((slot) => slot.number)));
    this.pendingStarts.set(name, pass.starts);
  }

  private servicePass(name: string): ServicePass {
    const service = this.service(name);
    const policy = this.policy(name);
    const nodes: ServiceNodes = { materialize: [], startEnds: [], recreated: false };
    this.services.set(name, nodes);
    const hash = this.spec(name, 1).spec.labels[CONFIG_HASH_LABEL] ?? serviceConfigHash(service);
    const parentRecreated = namespaceParents(service).find((p) => this.services.get(p)?.recreated);
    const recreateReason = (c: ObservedContainer, as: RecreatePolicy): string | undefined =>
      this.mustRecreate(name, as, c, hash, parentRecreated);
    return {
      name,
      policy,
      desired: this.replicas(name),
      nodes,
      starts: new Map(),
      finalName: (number) => this.spec(name, number).spec.name,
      recreateReason: (c) => recreateReason(c, policy),
      upToDate: (c) => recreateReason(c, policy === "force" ? "diverged" : policy) === undefined,
    };
  }

  /**
   * One slot per container number: the canonical container, or the up-to-date leftover of an
   * interrupted recreate that takes its place; other leftovers are removed (by number, since a
   * recreate of that number may reuse a leftover's temporary name).
   */
  private settleSlots(pass: ServicePass): { slots: Slot[]; leftoverRemovals: Map<number, number[]> } {
    const byNumber = this.byNumber(pass.name);
    const slots: Slot[] = [];
    const leftoverRemovals = new Map<number, number[]>();
    for (const number of [...byNumber.keys()].sort((a, b) => a - b)) {
      const group = byNumber.get(number) ?? [];
      const expected = pass.finalName(number);
      const canonical = group.find((c) => c.name === expected);
      const leftovers = group
        .filter((c) => c !== canonical)
        .sort(
          (a, b) =>
            Number(pass.upToDate(b)) - Number(pass.upToDate(a)) || b.created.getTime() - a.created.getTime(),
        );
      if (leftovers.length > 0) this.recreatesCutShort.add(pass.name);
      const best = leftovers[0];
      // The best leftover takes the number when it is up to date and the canonical one is not.
      const adopted =
        best &&
        pass.upToDate(best) &&
        pass.policy !== "force" &&
        (!canonical || pass.recreateReason(canonical) !== undefined)
          ? best
          : undefined;
      for (const c of leftovers) {
        if (c === adopted) continue;
        const removal = this.removeContainer(c, c.name, `leftover of an interrupted recreate of ${expected}`);
        pass.nodes.materialize.push(removal);
        leftoverRemovals.set(number, [...(leftoverRemovals.get(number) ?? []), removal]);
      }
      if (adopted) {
        slots.push({ number, container: adopted, adopt: { replacing: canonical }, obsolete: undefined });
      } else if (canonical) {
        const prefix = replacementName(canonical.id, "");
        slots.push({
          number,
          container: canonical,
          obsolete: pass.recreateReason(canonical),
          recreateCutShort: leftovers.some((c) => c.name.startsWith(prefix)),
        });
      }
    }
    return { slots, leftoverRemovals };
  }

  /** The service's containers by number; one without a number is left alone, with a warning. */
  private byNumber(name: string): Map<number, ObservedContainer[]> {
    const byNumber = new Map<number, ObservedContainer[]>();
    for (const c of serviceContainers(this.observed, name)) {
      if (c.number === undefined || c.number < 1) {
        this.plan.warnings.push({
          resource: "container",
          id: c.name,
          text: `container of service ${name} without a container number; left alone`,
        });
        continue;
      }
      const list = byNumber.get(c.number);
      if (list) list.push(c);
      else byNumber.set(c.number, [c]);
    }
    return byNumber;
  }

  /** Removes the slots past the replica count, obsolete ones first, then the highest numbers; returns the rest. */
  private scaleDown(pass: ServicePass, slots: readonly Slot[]): Slot[] {
    const ranked = [...slots].sort(
      (a, b) =>
        Number(b.obsolete !== undefined) - Number(a.obsolete !== undefined) ||
        b.number - a.number ||
        a.container.created.getTime() - b.container.created.getTime(),
    );
    const removed = new Set(ranked.slice(0, Math.max(0, slots.length - pass.desired)));
    for (const slot of slots) {
      if (!removed.has(slot)) continue;
      const display = pass.finalName(slot.number);
      if (slot.adopt?.replacing) {
        pass.nodes.materialize.push(this.removeContainer(slot.adopt.replacing, display, "scale down"));
      }
      pass.nodes.materialize.push(this.removeContainer(slot.container, display, "scale down"));
    }
    return slots.filter((slot) => !removed.has(slot));
  }

  /** Renames an up-to-date leftover into place, once the container it replaces (if any) is gone. */
  private adoptLeftover(pass: ServicePass, slot: Slot, replacing: ObservedContainer | undefined): void {
    const final = pass.finalName(slot.number);
    const c = slot.container;
    const deps = replacing ? [this.removeContainer(replacing, final, "replaced by an adopted leftover")] : [];
    // By name: the temporary name is unique, and it is what the plan prints.
    const rename = this.plan.add(
      containerResource(pass.name, slot.number),
      { kind: "RenameContainer", container: c.name, to: final, recreate: true },
      "adopt leftover of an interrupted recreate",
      deps,
    );
    pass.nodes.materialize.push(rename);
    pass.nodes.recreated = true;
    if (!isRunning(c.status)) {
      pass.starts.set(slot.number, {
        container: final,
        after: [rename],
        reason: "adopted leftover",
        copies: this.firstStartCopies(pass.name, slot.number, c),
      });
    }
  }

  /**
   * An up-to-date container stays: started when stopped (after its stop for a recreated
   * dependency, if the plan stops it), stopped and started again when a cut-short recreate may
   * have left a stop in flight, else left running.
   */
  private keepSlot(pass: ServicePass, slot: Slot, cutShortDependency: string | undefined): void {
    const c = slot.container;
    const stopped = this.stoppedByPlan.get(c.id);
    if (stopped !== undefined) {
      pass.starts.set(slot.number, { container: c.id, after: [stopped], reason: "dependency recreated" });
    } else if ((slot.recreateCutShort || cutShortDependency) && isRunning(c.status)) {
      // Our own stop waits out one the dead run may have left in flight; then it starts for good.
      const why = slot.recreateCutShort
        ? "its recreate was cut short"
        : `the recreate of ${cutShortDependency} was cut short`;
      const stop = this.plan.add(
        containerResource(pass.name, slot.number),
        this.stopOp(c.id, pass.finalName(slot.number)),
        why,
      );
      pass.starts.set(slot.number, {
        container: c.id,
        after: [stop],
        reason: "stopped by a cut-short recreate",
      });
    } else if (isRunning(c.status)) {
      this.plan.unchanged.push({ service: pass.name, number: slot.number, name: c.name, status: c.status });
    } else {
      pass.starts.set(slot.number, {
        container: c.id,
        after: [],
        reason: `container is ${c.status}`,
        copies: this.firstStartCopies(pass.name, slot.number, c),
      });
    }
  }

  /** Creates the numbers still missing, lowest free number first. */
  private createMissing(pass: ServicePass, used: Set<number>): void {
    let next = 1;
    for (let missing = pass.desired - used.size; missing > 0; missing--) {
      while (used.has(next)) next++;
      used.add(next);
      const made = this.spec(pass.name, next);
      const create = this.plan.add(
        containerResource(pass.name, next),
        {
          kind: "CreateContainer",
          name: made.spec.name,
          display: made.spec.name,
          spec: made.spec,
          copies: made.copies,
        },
        "no existing container",
        this.infraDeps(pass.name),
      );
      pass.nodes.materialize.push(create);
      pass.starts.set(next, { container: made.spec.name, after: [create], reason: "new container" });
    }
  }

  /**
   * The files a never-started container gets before its first start. The create step copies them
   * right after the create; a run killed in between leaves a container without them, and nothing
   * on the container tells the two apart, so every first start copies them (again).
   */
  private firstStartCopies(
    name: string,
    number: number,
    c: ObservedContainer,
  ): readonly FileCopy[] | undefined {
    if (c.status !== "created") return undefined;
    const copies = this.spec(name, number).copies;
    return copies.length > 0 ? copies : undefined;
  }

  /**
   * Create under a temporary name, stop and remove the old container, rename the new one. The
   * create waits for `after`: removals of leftovers of this number, one of which may hold the very
   * temporary name (a recreate of the same old container killed before).
   */
  private planRecreate(
    name: string,
    number: number,
    old: ObservedContainer,
    reason: string,
    after: readonly number[],
  ): number {
    const resource = containerResource(name, number);
    const made = this.spec(name, number);
    const final = made.spec.name;
    const temporary = replacementName(old.id, final);
    const spec: ContainerSpec = {
      ...made.spec,
      name: temporary,
      labels: { ...made.spec.labels, [REPLACE_LABEL]: replacedSlot(this.project, name, number) },
    };
    const create = this.plan.add(
      resource,
      {
        kind: "CreateContainer",
        name: temporary,
        display: final,
        spec,
        copies: made.copies,
        inheritFrom: old.id,
        recreate: true,
      },
      reason,
      [...this.infraDeps(name), ...after],
    );
    // Dependents stop once the replacement exists: a run killed while stopping them leaves that
    // replacement behind, which tells the next run to start them again (recreatesCutShort).
    const dependentStops = this.stopRestartDependents(name, create);
    const stoppedAlready = this.stoppedByPlan.get(old.id);
    const stop =
      stoppedAlready ??
      this.plan.add(resource, this.stopOp(old.id, final, true), `replaced by #${create}`, [
        create,
        ...dependentStops,
      ]);
    const remove = this.plan.add(
      resource,
      { kind: "RemoveContainer", container: old.id, display: final, volumes: false, recreate: true },
      `replaced by #${create}`,
      [stop, create],
    );
    return this.plan.add(
      resource,
      { kind: "RenameContainer", container: temporary, to: final, recreate: true },
      "finalize recreate",
      [remove],
    );
  }

  /**
   * Stops containers of services that depend on `name` with `restart: true` (once each), the first
   * time after `after` (a replacement's create). One stopped already for an earlier recreate keeps
   * its edges: that replacement exists by then, and another edge could close a loop.
   */
  private stopRestartDependents(name: string, after: number): number[] {
    const stops: number[] = [];
    for (const dependent of this.graph.dependentsOf(name)) {
      if (!this.scope.has(dependent)) continue;
      if (!this.graph.dependenciesOf(dependent).get(name)?.restart) continue;
      for (const c of serviceContainers(this.observed, dependent)) {
        if (!isRunning(c.status)) continue;
        let stop = this.stoppedByPlan.get(c.id);
        if (stop === undefined) {
          stop = this.plan.add(
            containerResource(dependent, c.number),
            this.stopOp(c.id, c.name),
            `dependency ${name} being recreated`,
            [after],
          );
          this.stoppedByPlan.set(c.id, stop);
        }
        stops.push(stop);
      }
    }
    return stops;
  }

  // --- start phase ----------------------------------------------------------------------------

  private planStartPhase(name: string): void {
    const nodes = this.services.get(name);
    if (!nodes || this.replicas(name) === 0) return;
    const depNodes = this.startDependencies(name);
    const starts = this.pendingStarts.get(name) ?? new Map();
    const ids: number[] = [];
    for (const number of [...starts.keys()].sort((a, b) => a - b)) {
      const start = starts.get(number);
      if (!start) continue;
      ids.push(
        this.plan.add(
          containerResource(name, number),
          {
            kind: "StartContainer",
            container: start.container,
            display: this.spec(name, number).spec.name,
            ...(start.copies ? { copies: start.copies } : {}),
          },
          start.reason,
          [...start.after, ...depNodes, ...this.orphanRemovals],
        ),
      );
    }
    nodes.startEnds = ids.length > 0 ? ids : depNodes.length > 0 ? depNodes : [...nodes.materialize];
  }

  private startDependencies(name: string): number[] {
    const dependencies = [...this.graph.dependenciesOf(name)].filter(
      ([dep]) => this.scope.has(dep) && this.project.services[dep] && this.replicas(dep) !== 0,
    );
    return this.plan.startGate(name, dependencies, (dep) => this.services.get(dep)?.startEnds ?? []);
  }

  private planWait(name: string): void {
    const nodes = this.services.get(name);
    if (!nodes || this.replicas(name) === 0) return;
    // A service others wait on to complete is a one-shot: `--wait` wants it exited 0, not running.
    const oneShot = this.order.some(
      (other) => this.graph.dependenciesOf(other).get(name)?.condition === "service_completed_successfully",
    );
    this.plan.add(
      `service:${name}`,
      {
        kind: "WaitCondition",
        service: name,
        condition: oneShot ? "service_completed_successfully" : "running_or_healthy",
        required: true,
        dependents: [],
        ...(this.options.waitTimeoutS !== undefined ? { timeoutS: this.options.waitTimeoutS } : {}),
      },
      "--wait",
      nodes.startEnds,
    );
  }
}
