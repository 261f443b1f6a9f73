/**
 * The engine's API, what the CLI calls: each verb observes once, plans in pure code, then walks
 * the plan, reporting every step to an EventSink. Nothing here prints.
 *
 *     const { plan, containers } = await up(runtime, loaded, { wait: true }, sink, signal);
 */
import type { LoadedProject } from "../project/load.js";
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import { imageReference, serviceNetworkKeys, servicesInScope, serviceVolumeKeys } from "./desired.js";
import { emitter, type EventSink } from "./events.js";
import { execute } from "./execute.js";
import {
  type DownOptions,
  planDown,
  planRestart,
  planStart,
  planStop,
  type ProjectModel,
} from "./lifecycle.js";
import { checkLabelledServices, knownLabelledServices, modelFromLabels } from "./labelled-project.js";
import { checkHostPorts } from "./port-check.js";
import { observe, type ObserveLookups, type ObservedState } from "./observe.js";
import { Plan } from "./plan.js";
import { ps, psOrder } from "./ps.js";
import { type LockOptions, withProjectLock } from "./project-lock.js";
import { reconcile, type ReconcileContext, type UpOptions } from "./reconcile.js";

export type { EngineEvent, EngineResource, EngineStatus, EventSink } from "./events.js";
export { DONE_STATUSES, recordingSink, silentSink } from "./events.js";
export { DependencyError, EngineError, ExecuteError, PlanError } from "./errors.js";
export type { DownOptions } from "./lifecycle.js";
export { observe, type ObservedContainer, type ObservedState } from "./observe.js";
export { Plan, type Operation, type PlanNode, type PlanWarning } from "./plan.js";
export { reconcile, type ReconcileContext, type UpOptions } from "./reconcile.js";
export { execute, type ExecuteOptions } from "./execute.js";
export { ps, type PsOptions } from "./ps.js";
export { DEFAULT_KILL_SIGNAL, kill, type KillOptions } from "./kill.js";
export { createOneOff, oneOffService, type OneOff, type OneOffOverrides, type RunOptions } from "./run.js";
export { pause, type PauseAction, type PauseOptions } from "./pause.js";
export { removeContainers, type RmOptions, stoppedContainers } from "./rm.js";
export { build, planBuilds, type BuildOptions, type BuiltImage } from "./build.js";
export { pull, planPulls, type PullOptions } from "./pull.js";
export { push, planPushes, type PushOptions } from "./push.js";
export { LockWaitAborted, ProjectLockError } from "./project-lock.js";

/** Extra inputs of `up` that are not flags of the command. */
export interface UpContext {
  /** `--env-file` paths, written in the `project.environment_file` label. */
  readonly environmentFiles?: readonly string[];
  /** Bound for `depends_on` waits (default 10 minutes; Compose has none). */
  readonly dependencyTimeoutS?: number;
  /** The engine shares this host's network (a local socket): bind-test published ports first (port-check.ts). */
  readonly checkHostPorts?: boolean;
}

export interface UpResult {
  readonly plan: Plan;
  /** The containers of the services brought up, as `ps --all` lists them. */
  readonly containers: ContainerSummary[];
}

/**
 * Converges the project: creates what is missing, recreates what changed, starts what is stopped,
 * in dependency order with maximum parallelism. With `dryRun`, returns the plan and changes
 * nothing. With `wait`, resolves only once every started service is running (healthy when it has
 * a healthcheck) and rejects naming the first one that is not.
 */
export async function up(
  runtime: Runtime,
  loaded: LoadedProject,
  options: UpOptions,
  sink: EventSink,
  signal?: AbortSignal,
  extra: UpContext = {},
): Promise<UpResult> {
  if (options.dryRun) return converge(runtime, loaded, options, sink, signal, extra);
  return locked(loaded.project.name, sink, signal, () =>
    converge(runtime, loaded, options, sink, signal, extra),
  );
}

/** `up` itself, under the project lock unless it is a dry run. */
async function converge(
  runtime: Runtime,
  loaded: LoadedProject,
  options: UpOptions,
  sink: EventSink,
  signal: AbortSignal | undefined,
  extra: UpContext,
): Promise<UpResult> {
  const { project, graph } = loaded;
  const emit = emitter(sink);
  const context: ReconcileContext = {
    configFiles: loaded.files.map((f) => f.path).filter((p) => p !== "-"),
    disabledServices: Object.keys(loaded.disabledServices),
    ...(extra.environmentFiles ? { environmentFiles: extra.environmentFiles } : {}),
    manualCreateCommand: runtime.manualCreateCommand?.bind(runtime),
  };
  const scope = servicesInScope(project, graph, options.services, options.noDeps);
  const lookups = upLookups(loaded, scope);

  let observed = await observe(runtime, project.name, lookups);
  const first = reconcile(project, graph, observed, options, context);
  reportWarnings(sink, first);
  if (options.dryRun) return { plan: first, containers: await ps(runtime, project.name, { all: true }) };
  if (extra.checkHostPorts) await checkHostPorts(runtime, project.name, first);

  const executeOptions = {
    project: project.name,
    signal,
    quietPull: options.quietPull,
    ...(extra.dependencyTimeoutS !== undefined ? { waitTimeoutMs: extra.dependencyTimeoutS * 1000 } : {}),
  };
  // Images first, then plan the containers against the images as they are now, so a pulled or
  // rebuilt image recreates the containers made from the old one in this same run.
  const isImage = (kind: string): boolean => kind === "PullImage" || kind === "BuildImage";
  const images = first.filter((node) => isImage(node.op.kind), { warnings: true, unchanged: false });
  let plan = first;
  if (!images.isEmpty()) {
    await execute(runtime, images, sink, executeOptions);
    observed = await observe(runtime, project.name, lookups);
    const rest = reconcile(project, graph, observed, options, { ...context, imagesReady: true });
    plan = images.concat(new Plan(rest.nodes, [], rest.unchanged));
  }
  const work = plan.filter((node) => !isImage(node.op.kind));
  for (const c of work.unchanged) emit("container", c.name, "Running");
  // `--wait-timeout` bounds the run from its first container step (pulls and builds are not
  // waits): every wait ends by then, the depends_on ones that gate the starts included.
  const waitDeadline =
    options.wait && options.waitTimeoutS !== undefined
      ? { at: Date.now() + options.waitTimeoutS * 1000, seconds: options.waitTimeoutS }
      : undefined;
  await execute(runtime, work, sink, { ...executeOptions, waitDeadline });
  // No container was touched: what observe listed is still the answer (a no-op `up` lists once).
  const containers =
    work.nodes.length === 0
      ? psOrder(
          observed.containers.map((c) => c.summary),
          [...scope],
        )
      : await ps(runtime, project.name, { all: true, services: [...scope] });
  return { plan, containers };
}

/**
 * Runs `work` holding the project's lock (see project-lock.ts), so two berths never interleave
 * their observe and execute on one project; while another holds it, says so once.
 */
function locked<T>(
  project: string,
  sink: EventSink,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const emit = emitter(sink);
  const options: LockOptions = {
    signal,
    onWait: (owner) =>
      emit(
        "project",
        project,
        "Warning",
        `waiting for another berth on project ${project} (pid ${owner.pid})`,
      ),
  };
  return withProjectLock(project, options, work);
}

export function upLookups(loaded: LoadedProject, scope: ReadonlySet<string>): ObserveLookups {
  const { project } = loaded;
  const networks = new Set<string>();
  const volumes = new Set<string>();
  const images = new Set<string>();
  for (const name of scope) {
    const service = project.services[name];
    if (!service) continue;
    for (const key of serviceNetworkKeys(service)) {
      const network = project.networks[key];
      if (network) networks.add(network.name);
    }
    for (const key of serviceVolumeKeys(project, service)) {
      const volume = project.volumes[key];
      if (volume) volumes.add(volume.name);
    }
    images.add(imageReference(project, name));
  }
  return { networks: [...networks], volumes: [...volumes], images: [...images] };
}

function model(loaded: LoadedProject): ProjectModel {
  return {
    project: loaded.project,
    graph: loaded.graph,
    disabledServices: Object.keys(loaded.disabledServices),
  };
}

/**
 * Stops and removes the project's containers (dependents first, in parallel where independent),
 * then its networks, and with `volumes` its named and anonymous volumes. Without a loaded project
 * the project is found by its labels alone.
 */
export async function down(
  runtime: Runtime,
  projectName: string,
  loaded: LoadedProject | undefined,
  options: DownOptions,
  sink: EventSink,
  signal?: AbortSignal,
): Promise<{ readonly plan: Plan }> {
  return runLifecycle(runtime, projectName, sink, signal, (observed) =>
    planDown(projectName, loaded ? model(loaded) : undefined, observed, options),
  );
}

/** Stops the named services' containers (all services when none are named), dependents first. */
export async function stop(
  runtime: Runtime,
  target: LifecycleTarget,
  services: readonly string[],
  timeoutS: number | undefined,
  sink: EventSink,
  signal?: AbortSignal,
): Promise<{ readonly plan: Plan }> {
  return runLifecycle(runtime, targetName(target), sink, signal, (observed) => {
    const model = modelOf(target, observed);
    const named = typeof target === "string" ? knownLabelledServices(model, services) : services;
    return named === undefined ? new Plan([]) : planStop(model, observed, named, timeoutS);
  });
}

/**
 * Starts the named services' existing containers, in dependency order and honouring conditions.
 * `timeoutS` (the same place as `stop`'s) bounds each depends_on wait; default 10 minutes.
 */
export async function start(
  runtime: Runtime,
  target: LifecycleTarget,
  services: readonly string[],
  timeoutS: number | undefined,
  sink: EventSink,
  signal?: AbortSignal,
): Promise<{ readonly plan: Plan }> {
  return runLifecycle(
    runtime,
    targetName(target),
    sink,
    signal,
    (observed) => {
      const model = modelOf(target, observed);
      if (typeof target === "string") checkLabelledServices(model, services);
      return planStart(model, observed, services);
    },
    timeoutS !== undefined ? { waitTimeoutMs: timeoutS * 1000 } : {},
  );
}

/**
 * Restarts the named services' containers in dependency order, with the services that depend on
 * them with `restart: true` unless `noDeps`.
 */
export async function restart(
  runtime: Runtime,
  target: LifecycleTarget,
  services: readonly string[],
  timeoutS: number | undefined,
  sink: EventSink,
  signal?: AbortSignal,
  noDeps = false,
): Promise<{ readonly plan: Plan }> {
  return runLifecycle(runtime, targetName(target), sink, signal, (observed) =>
    planRestart(modelOf(target, observed), observed, services, timeoutS, noDeps),
  );
}

/**
 * What stop, start and restart act on: a loaded project, or only its name (`-p` and no compose
 * file), the services then being what the containers' labels say (labelled-project.ts).
 */
export type LifecycleTarget = LoadedProject | string;

function targetName(target: LifecycleTarget): string {
  return typeof target === "string" ? target : target.project.name;
}

function modelOf(target: LifecycleTarget, observed: ObservedState): ProjectModel {
  return typeof target === "string" ? modelFromLabels(target, observed) : model(target);
}

/** Observe, plan with `makePlan`, say its warnings, execute: the shape every lifecycle command shares. */
async function runLifecycle(
  runtime: Runtime,
  projectName: string,
  sink: EventSink,
  signal: AbortSignal | undefined,
  makePlan: (observed: ObservedState) => Plan,
  waits: { readonly waitTimeoutMs?: number } = {},
): Promise<{ readonly plan: Plan }> {
  return locked(projectName, sink, signal, async () => {
    const plan = makePlan(await observe(runtime, projectName));
    reportWarnings(sink, plan);
    await execute(runtime, plan, sink, { project: projectName, signal, ...waits });
    return { plan };
  });
}

function reportWarnings(sink: EventSink, plan: Plan): void {
  const emit = emitter(sink);
  for (const warning of plan.warnings) emit(warning.resource, warning.id, "Warning", warning.text);
}

/**
 * Sets the replica counts of the named services: `up` for those services, their dependencies
 * untouched unless `withDependencies` (`berth scale` without `--no-deps`, as Compose's scale
 * creates and starts them too).
 */
export function scale(
  runtime: Runtime,
  loaded: LoadedProject,
  counts: Readonly<Record<string, number>>,
  sink: EventSink,
  signal?: AbortSignal,
  extra: UpContext = {},
  withDependencies = false,
): Promise<UpResult> {
  return up(
    runtime,
    loaded,
    { services: Object.keys(counts), noDeps: !withDependencies, scale: counts },
    sink,
    signal,
    extra,
  );
}
