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
import { containerSpecFor, type FileCopy } from "./container-spec.js";
import { findOrphans, imageReference, orphanWarning } from "./desired.js";
import { PlanError } from "./errors.js";
import { DEPENDS_ON_LABEL } from "./labels.js";
import { defaultImageName } from "./names.js";
import { compareText, type ObservedContainer, type ObservedState } from "./observe.js";
import { type Plan, PlanBuilder, type WaitCondition } from "./plan.js";

const RUNNING_STATES: ReadonlySet<string> = new Set(["running", "restarting", "paused"]);

/** The parts of a loaded project the lifecycle plans read. */
export interface ProjectModel {
  readonly project: Project;
  readonly graph: ServiceGraph;
  /** Services disabled by profiles: still part of the project for `down`. */
  readonly disabledServices?: readonly string[];
}

export interface DownOptions {
  readonly volumes?: boolean;
  readonly removeOrphans?: boolean;
  readonly timeoutS?: number;
  readonly rmi?: "local" | "all";
}

function resourceOf(c: ObservedContainer): string {
  return `container:${c.service || "?"}:${c.number ?? "?"}`;
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

export function planDown(
  projectName: string,
  model: ProjectModel | undefined,
  observed: ObservedState,
  options: DownOptions = {},
): Plan {
  const plan = new PlanBuilder();
  const known = model
    ? new Set([...Object.keys(model.project.services), ...(model.disabledServices ?? [])])
    : undefined;
  const deps = dependencyMap(model, observed);
  const ours = observed.containers.filter((c) => !c.oneOff && (!known || known.has(c.service)));
  const orphans = options.removeOrphans
    ? observed.containers.filter((c) => c.oneOff || (known !== undefined && !known.has(c.service)))
    : [];
  // Left in place (they keep the project's networks in use): said once, as `up` says it.
  const kept =
    model && !options.removeOrphans ? findOrphans(model.project, model.disabledServices ?? [], observed) : [];
  if (kept.length > 0) plan.warnings.push(orphanWarning(projectName, kept));

  const removals = new Map<string, number[]>();
  const stopAndRemove = (c: ObservedContainer, after: readonly number[], reason: string): number => {
    const stop = RUNNING_STATES.has(c.status)
      ? [
          plan.add(
            resourceOf(c),
            {
              kind: "StopContainer",
              container: c.id,
              display: c.name,
              ...(options.timeoutS !== undefined ? { timeoutS: options.timeoutS } : {}),
            },
            reason,
            after,
          ),
        ]
      : [...after];
    return plan.add(
      resourceOf(c),
      { kind: "RemoveContainer", container: c.id, display: c.name, volumes: options.volumes ?? false },
      reason,
      stop,
    );
  };

  const services = new Set(ours.map((c) => c.service));
  for (const service of stopOrder(services, deps)) {
    // Wait for every service that depends on this one to be gone.
    const after: number[] = [];
    for (const [other, set] of deps) if (set.has(service)) after.push(...(removals.get(other) ?? []));
    const ids = ours.filter((c) => c.service === service).map((c) => stopAndRemove(c, after, "down"));
    removals.set(service, ids);
  }
  const orphanIds = orphans.map((c) =>
    stopAndRemove(c, [], c.oneOff ? "one-off container" : "orphaned container"),
  );
  const allRemovals = [...[...removals.values()].flat(), ...orphanIds];

  // Networks: the file's (not external) or, without a file, every one with the project label.
  const networkNames = model
    ? Object.values(model.project.networks)
        .filter((n) => !n.external)
        .map((n) => n.name)
    : [...observed.networks.keys()];
  for (const [key, name] of networkKeys(model, networkNames)) {
    const found = observed.networks.get(name);
    if (!found) continue;
    // By ID, and every duplicate too: with two networks of one name, the name alone is ambiguous.
    plan.add(`network:${key}`, { kind: "RemoveNetwork", name, id: found.id }, "down", allRemovals);
    for (const twin of observed.duplicateNetworks.filter((n) => n.name === name)) {
      plan.add(
        `network:${key}`,
        { kind: "RemoveNetwork", name, id: twin.id },
        "down (duplicate)",
        allRemovals,
      );
    }
  }

  if (options.volumes) {
    const volumeEntries = model
      ? Object.entries(model.project.volumes)
          .filter(([, v]) => !v.external)
          .map(([key, v]) => [key, v.name] as const)
      : [...observed.volumes.keys()].map((name) => [name, name] as const);
    for (const [key, name] of [...volumeEntries].sort((a, b) => compareText(a[0], b[0]))) {
      if (!observed.volumes.has(name)) continue;
      plan.add(`volume:${key}`, { kind: "RemoveVolume", name }, "down -v", allRemovals);
    }
  }

  if (options.rmi) {
    const references = new Set<string>();
    if (model) {
      for (const [name, service] of Object.entries(model.project.services)) {
        if (options.rmi === "all" || service.image === undefined)
          references.add(imageReference(model.project, name));
      }
    } else {
      for (const c of observed.containers) {
        if (options.rmi === "all") references.add(c.image);
        else if (c.image === defaultImageName(projectName, c.service)) references.add(c.image);
      }
    }
    for (const reference of [...references].sort(compareText)) {
      plan.add(`image:${reference}`, { kind: "RemoveImage", reference }, `--rmi ${options.rmi}`, allRemovals);
    }
  }

  if (plan.node(1) === undefined) {
    plan.warnings.push({
      resource: "project",
      id: projectName,
      text: `No resource found to remove for project "${projectName}".`,
    });
  }
  return plan.build();
}

function networkKeys(model: ProjectModel | undefined, names: readonly string[]): [string, string][] {
  if (!model) return [...names].sort(compareText).map((n) => [n, n]);
  const entries: [string, string][] = [];
  for (const [key, network] of Object.entries(model.project.networks)) {
    if (names.includes(network.name)) entries.push([key, network.name]);
  }
  return entries.sort((a, b) => compareText(a[0], b[0]));
}

function selected(model: ProjectModel, services: readonly string[]): string[] {
  for (const name of services) {
    if (!Object.hasOwn(model.project.services, name)) throw new PlanError(`no such service: ${name}`);
  }
  return services.length > 0 ? [...services] : Object.keys(model.project.services);
}

function depsOf(model: ProjectModel): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  for (const name of Object.keys(model.project.services)) {
    deps.set(name, new Set(model.graph.dependenciesOf(name).keys()));
  }
  return deps;
}

/** Stops the services' running containers, dependents first. */
export function planStop(
  model: ProjectModel,
  observed: ObservedState,
  services: readonly string[] = [],
  timeoutS?: number,
): Plan {
  const plan = new PlanBuilder();
  const names = selected(model, services);
  const deps = depsOf(model);
  const stops = new Map<string, number[]>();
  for (const service of stopOrder(names, deps)) {
    const after: number[] = [];
    for (const [other, set] of deps) if (set.has(service)) after.push(...(stops.get(other) ?? []));
    const ids: number[] = [];
    for (const c of observed.containers.filter((x) => x.service === service && !x.oneOff)) {
      if (!RUNNING_STATES.has(c.status)) continue;
      ids.push(
        plan.add(
          resourceOf(c),
          {
            kind: "StopContainer",
            container: c.id,
            display: c.name,
            ...(timeoutS !== undefined ? { timeoutS } : {}),
          },
          "stop",
          after,
        ),
      );
    }
    stops.set(service, ids.length > 0 ? ids : after);
  }
  return plan.build();
}

/** Starts the services' stopped containers in dependency order, waiting on depends_on conditions. */
export function planStart(
  model: ProjectModel,
  observed: ObservedState,
  services: readonly string[] = [],
): Plan {
  const plan = new PlanBuilder();
  const names = new Set(selected(model, services));
  const ends = new Map<string, number[]>();
  const waits = new Map<string, number>();
  for (const service of model.graph.startOrder().filter((s) => names.has(s))) {
    const containers = observed.containers.filter((c) => c.service === service && !c.oneOff);
    if (containers.length === 0) {
      throw new PlanError(`service "${service}" has no container to start`, {
        service,
        hint: "run `up` to create it",
      });
    }
    const after: number[] = [];
    for (const [dep, config] of model.graph.dependenciesOf(service)) {
      const targets = ends.get(dep) ?? [];
      if (config.condition === "service_started") {
        after.push(...targets);
        continue;
      }
      const key = `${dep}:${config.condition}`;
      let wait = waits.get(key);
      if (wait === undefined) {
        wait = plan.add(
          `service:${dep}`,
          {
            kind: "WaitCondition",
            service: dep,
            condition: config.condition as WaitCondition,
            required: config.required,
            dependents: [service],
          },
          `depends_on ${config.condition}`,
          targets,
        );
        waits.set(key, wait);
      }
      after.push(wait);
    }
    const ids: number[] = [];
    for (const c of containers) {
      if (RUNNING_STATES.has(c.status)) continue;
      const copies = c.status === "created" ? firstStartCopies(model.project, service, c.number) : [];
      ids.push(
        plan.add(
          resourceOf(c),
          {
            kind: "StartContainer",
            container: c.id,
            display: c.name,
            ...(copies.length > 0 ? { copies } : {}),
          },
          "start",
          after,
        ),
      );
    }
    ends.set(service, ids.length > 0 ? ids : after);
  }
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

/** Restarts the services' containers (stopped ones start), in dependency order. */
export function planRestart(
  model: ProjectModel,
  observed: ObservedState,
  services: readonly string[] = [],
  timeoutS?: number,
): Plan {
  const plan = new PlanBuilder();
  const names = new Set(selected(model, services));
  const ends = new Map<string, number[]>();
  for (const service of model.graph.startOrder().filter((s) => names.has(s))) {
    const after = [...model.graph.dependenciesOf(service).keys()].flatMap((dep) => ends.get(dep) ?? []);
    const ids = observed.containers
      .filter((c) => c.service === service && !c.oneOff)
      .map((c) =>
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
      );
    ends.set(service, ids.length > 0 ? ids : after);
  }
  return plan.build();
}
