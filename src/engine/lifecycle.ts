/**
 * Plans for `down`, `stop`, `start` and `restart`: pure, like reconcile.ts, and walked by the same
 * executor, so they run in parallel where the dependency order allows and print the same way.
 *
 * `down` follows Docker Compose (`pkg/compose/down.go`): containers in reverse dependency order
 * (a service's containers stop once everything that depends on it is gone), then the project's
 * networks (skipped with a warning while foreign containers use them) and, with `volumes`, its
 * named volumes (never external ones) plus the anonymous volumes of the removed containers.
 * Without a compose file, the project is what the labels say: every container, network and volume
 * carrying its name, ordered by the containers' `depends_on` labels.
 */
import type { ServiceGraph } from "../graph/graph.js";
import type { Project } from "../project/model.js";
import { containerSpecFor } from "./container-spec.js";
import { findOrphans, imageReference, orphanWarning, servicesInScope } from "./desired.js";
import { PlanError } from "./errors.js";
import { DEPENDS_ON_LABEL } from "./labels.js";
import { defaultImageName } from "./names.js";
import {
  compareText,
  isRunning,
  type ObservedContainer,
  type ObservedState,
  serviceContainers,
} from "./observe.js";
import { containerResource, type FileCopy, type Plan, PlanBuilder, stopOperation } from "./plan.js";

/** The parts of a loaded project the lifecycle plans read. */
export interface ProjectModel {
  readonly project: Project;
  readonly graph: ServiceGraph;
  /** Services disabled by profiles: still part of the project for `down`. */
  readonly disabledServices?: readonly string[];
}

export interface DownOptions {
  /**
   * `down SERVICE...`: only these services' containers and those of the services that depend on
   * them (Compose's `WithRootNodesAndDown`); networks and volumes still in use stay.
   */
  readonly services?: readonly string[];
  readonly volumes?: boolean;
  readonly removeOrphans?: boolean;
  readonly timeoutS?: number;
  readonly rmi?: "local" | "all";
}

function resourceOf(c: ObservedContainer): string {
  return containerResource(c.service, c.number);
}

/** service → the services it depends on, from the model or, without one, from the labels. */
function dependencyMap(model: ProjectModel | undefined, observed: ObservedState): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  if (model) {
    for (const name of Object.keys(model.project.services)) {
      deps.set(name, new Set(model.graph.dependenciesOf(name).keys()));
    }
    return deps;
  }
  for (const c of observed.containers) {
    const set = deps.get(c.service) ?? new Set<string>();
    deps.set(c.service, set);
    for (const entry of (c.labels[DEPENDS_ON_LABEL] ?? "").split(",")) {
      const name = entry.split(":")[0];
      if (name) set.add(name);
    }
  }
  return deps;
}

/** Services dependents-first (the reverse of a start order), ties by name. */
function stopOrder(services: Iterable<string>, deps: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const names = [...new Set(services)].sort(compareText);
  const start: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, path: Set<string>): void => {
    if (seen.has(name) || path.has(name)) return;
    path.add(name);
    for (const dep of [...(deps.get(name) ?? [])].sort(compareText))
      if (names.includes(dep)) visit(dep, path);
    path.delete(name);
    seen.add(name);
    start.push(name);
  };
  for (const name of names) visit(name, new Set());
  return start.reverse();
}

/**
 * Plans one step per container of each service, dependents first: a service's steps wait for the
 * steps of every service that depends on it (or, when those have none, for what they waited for).
 */
function inStopOrder(
  services: Iterable<string>,
  deps: ReadonlyMap<string, ReadonlySet<string>>,
  steps: (service: string, after: readonly number[]) => number[],
): number[] {
  const done = new Map<string, number[]>();
  for (const service of stopOrder(services, deps)) {
    const after: number[] = [];
    for (const [other, set] of deps) if (set.has(service)) after.push(...(done.get(other) ?? []));
    const ids = steps(service, after);
    done.set(service, ids.length > 0 ? ids : after);
  }
  return [...done.values()].flat();
}

export function planDown(
  projectName: string,
  model: ProjectModel | undefined,
  observed: ObservedState,
  options: DownOptions = {},
): Plan {
  const plan = new PlanBuilder();
  const removals = planDownContainers(plan, projectName, model, observed, options);
  planDownNetworks(plan, model, observed, removals);
  if (options.volumes) planDownVolumes(plan, model, observed, removals);
  if (options.rmi) planDownImages(plan, projectName, model, observed, options.rmi, removals);
  if (plan.node(1) === undefined) {
    plan.warnings.push({
      resource: "project",
      id: projectName,
      text: `No resource found to remove for project "${projectName}".`,
    });
  }
  return plan.build();
}

/**
 * Stops and removes the project's containers, dependents first, then (with removeOrphans) the
 * orphans; returns every removal. Orphans left in place are said once, as `up` says it.
 */
function planDownContainers(
  plan: PlanBuilder,
  projectName: string,
  model: ProjectModel | undefined,
  observed: ObservedState,
  options: DownOptions,
): number[] {
  const known = model
    ? new Set([...Object.keys(model.project.services), ...(model.disabledServices ?? [])])
    : undefined;
  const deps = dependencyMap(model, observed);
  const scope = options.services?.length ? withDependents(options.services, deps) : undefined;
  const ours = observed.containers.filter(
    (c) => !c.oneOff && (!known || known.has(c.service)) && (!scope || scope.has(c.service)),
  );
  const orphans = options.removeOrphans
    ? observed.containers.filter((c) => c.oneOff || (known !== undefined && !known.has(c.service)))
    : [];
  // Left in place (they keep the project's networks in use).
  const kept =
    model && !options.removeOrphans ? findOrphans(model.project, model.disabledServices ?? [], observed) : [];
  if (kept.length > 0) plan.warnings.push(orphanWarning(projectName, kept));

  const stopAndRemove = (c: ObservedContainer, after: readonly number[], reason: string): number => {
    const stop = isRunning(c.status)
      ? [plan.add(resourceOf(c), stopOperation(c.id, c.name, options.timeoutS), reason, after)]
      : after;
    return plan.add(
      resourceOf(c),
      { kind: "RemoveContainer", container: c.id, display: c.name, volumes: options.volumes ?? false },
      reason,
      stop,
    );
  };
  const removals: number[] = [];
  const services = ours.map((c) => c.service);
  inStopOrder(services, deps, (service, after) => {
    const ids = ours.filter((c) => c.service === service).map((c) => stopAndRemove(c, after, "down"));
    removals.push(...ids);
    return ids;
  });
  for (const c of orphans) {
    removals.push(stopAndRemove(c, [], c.oneOff ? "one-off container" : "orphaned container"));
  }
  return removals;
}

/** The services and, transitively, every service that depends on one of them. */
function withDependents(
  services: readonly string[],
  deps: ReadonlyMap<string, ReadonlySet<string>>,
): Set<string> {
  const scope = new Set(services);
  for (let grew = true; grew;) {
    grew = false;
    for (const [service, set] of deps) {
      if (scope.has(service) || ![...set].some((dep) => scope.has(dep))) continue;
      scope.add(service);
      grew = true;
    }
  }
  return scope;
}

/**
 * The project's networks or volumes as `[key, name]`, by key: the file's own (not external) or,
 * without a file, the ones its labels found (named by their names).
 */
function ownedByProject(
  defined:
    Readonly<Record<string, { readonly name: string; readonly external?: boolean | undefined }>> | undefined,
  found: Iterable<string>,
): [string, string][] {
  const entries: [string, string][] = defined
    ? Object.entries(defined)
        .filter(([, d]) => !d.external)
        .map(([key, d]) => [key, d.name])
    : [...found].map((name) => [name, name]);
  return entries.sort((a, b) => compareText(a[0], b[0]));
}

function planDownNetworks(
  plan: PlanBuilder,
  model: ProjectModel | undefined,
  observed: ObservedState,
  after: readonly number[],
): void {
  for (const [key, name] of ownedByProject(model?.project.networks, observed.networks.keys())) {
    const found = observed.networks.get(name);
    if (!found) continue;
    // By ID, and every duplicate too: with two networks of one name, the name alone is ambiguous.
    plan.add(`network:${key}`, { kind: "RemoveNetwork", name, id: found.id }, "down", after);
    for (const twin of observed.duplicateNetworks.filter((n) => n.name === name)) {
      plan.add(`network:${key}`, { kind: "RemoveNetwork", name, id: twin.id }, "down (duplicate)", after);
    }
  }
}

/** `down -v`: the named volumes (never external ones). */
function planDownVolumes(
  plan: PlanBuilder,
  model: ProjectModel | undefined,
  observed: ObservedState,
  after: readonly number[],
): void {
  for (const [key, name] of ownedByProject(model?.project.volumes, observed.volumes.keys())) {
    if (!observed.volumes.has(name)) continue;
    plan.add(`volume:${key}`, { kind: "RemoveVolume", name }, "down -v", after);
  }
}

/** `--rmi local`: the images the project builds; `--rmi all`: every image its services use. */
function planDownImages(
  plan: PlanBuilder,
  projectName: string,
  model: ProjectModel | undefined,
  observed: ObservedState,
  rmi: "local" | "all",
  after: readonly number[],
): void {
  const references = new Set<string>();
  if (model) {
    for (const [name, service] of Object.entries(model.project.services)) {
      if (rmi === "all" || service.image === undefined) references.add(imageReference(model.project, name));
    }
  } else {
    for (const c of observed.containers) {
      if (rmi === "all") references.add(c.image);
      else if (c.image === defaultImageName(projectName, c.service)) references.add(c.image);
    }
  }
  for (const reference of [...references].sort(compareText)) {
    plan.add(`image:${reference}`, { kind: "RemoveImage", reference }, `--rmi ${rmi}`, after);
  }
}

/** The named services (all when none are), checked to exist. */
function selected(model: ProjectModel, services: readonly string[]): Set<string> {
  return servicesInScope(model.project, model.graph, services, true);
}

/** Stops the services' running containers, dependents first. */
export function planStop(
  model: ProjectModel,
  observed: ObservedState,
  services: readonly string[] = [],
  timeoutS?: number,
): Plan {
  const plan = new PlanBuilder();
  inStopOrder(selected(model, services), dependencyMap(model, observed), (service, after) =>
    serviceContainers(observed, service)
      .filter((c) => isRunning(c.status))
      .map((c) => plan.add(resourceOf(c), stopOperation(c.id, c.name, timeoutS), "stop", after)),
  );
  return plan.build();
}

/**
 * Plans steps per service in start order: a service's steps wait for what `gate` says its
 * dependencies' steps (or, when those have none, what they waited for) end with.
 */
function inStartOrder(
  model: ProjectModel,
  services: ReadonlySet<string>,
  gate: (service: string, endsOf: (dep: string) => readonly number[]) => number[],
  steps: (service: string, after: readonly number[]) => number[],
): void {
  const ends = new Map<string, number[]>();
  for (const service of model.graph.startOrder().filter((s) => services.has(s))) {
    const after = gate(service, (dep) => ends.get(dep) ?? []);
    const ids = steps(service, after);
    ends.set(service, ids.length > 0 ? ids : after);
  }
}

/** Starts the services' stopped containers in dependency order, waiting on depends_on conditions. */
export function planStart(
  model: ProjectModel,
  observed: ObservedState,
  services: readonly string[] = [],
): Plan {
  const plan = new PlanBuilder();
  inStartOrder(
    model,
    selected(model, services),
    (service, endsOf) => {
      if (serviceContainers(observed, service).length === 0) {
        throw new PlanError(`service "${service}" has no container to start`, {
          service,
          hint: "run `up` to create it",
        });
      }
      return plan.startGate(service, model.graph.dependenciesOf(service), endsOf);
    },
    (service, after) =>
      serviceContainers(observed, service)
        .filter((c) => !isRunning(c.status))
        .map((c) => {
          const copies = c.status === "created" ? firstStartCopies(model.project, service, c.number) : [];
          return plan.add(
            resourceOf(c),
            {
              kind: "StartContainer",
              container: c.id,
              display: c.name,
              ...(copies.length > 0 ? { copies } : {}),
            },
            "start",
            after,
          );
        }),
  );
  return plan.build();
}

/**
 * The files of a never-started container, copied in again before its first start: an `up` killed
 * between the create and its copy leaves a container without them (as reconcile.ts does for `up`).
 */
function firstStartCopies(
  project: Project,
  service: string,
  number: number | undefined,
): readonly FileCopy[] {
  try {
    return containerSpecFor(project, service, number ?? 1, { configFiles: [] }).copies;
  } catch {
    // A service that cannot be turned into a spec now was created from another file: start it as it is.
    return [];
  }
}

/**
 * Restarts the services' containers (stopped ones start), in dependency order. Named services
 * bring along, transitively, the services that depend on them with `restart: true` (Compose's
 * restart.go), unless `noDeps`.
 */
export function planRestart(
  model: ProjectModel,
  observed: ObservedState,
  services: readonly string[] = [],
  timeoutS?: number,
  noDeps = false,
): Plan {
  const plan = new PlanBuilder();
  const scope = selected(model, services);
  if (services.length > 0 && !noDeps) addRestartDependents(model, scope);
  inStartOrder(
    model,
    scope,
    (service, endsOf) => [...model.graph.dependenciesOf(service).keys()].flatMap(endsOf),
    (service, after) =>
      serviceContainers(observed, service).map((c) =>
        plan.add(
          resourceOf(c),
          {
            kind: "RestartContainer",
            container: c.id,
            display: c.name,
            ...(timeoutS !== undefined ? { timeoutS } : {}),
          },
          "restart",
          after,
        ),
      ),
  );
  return plan.build();
}

/** Adds to `scope`, until nothing changes, each service with a `restart: true` dependency in it. */
function addRestartDependents(model: ProjectModel, scope: Set<string>): void {
  const names = Object.keys(model.project.services);
  for (let grew = true; grew;) {
    grew = false;
    for (const name of names) {
      if (scope.has(name)) continue;
      const deps = model.graph.dependenciesOf(name);
      if (![...deps].some(([dep, spec]) => spec.restart && scope.has(dep))) continue;
      scope.add(name);
      grew = true;
    }
  }
}
