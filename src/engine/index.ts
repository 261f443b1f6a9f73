/**
 * The engine's API, what the CLI calls: each verb observes once, plans in pure code, then walks
 * the plan, reporting every step to an EventSink. Nothing here prints.
 *
 *     const { plan, containers } = await up(runtime, loaded, { wait: true }, sink, signal);
 */
import type { LoadedProject } from "../project/load.js";
import type { Runtime } from "../runtime/runtime.js";
import type { EventSink } from "./events.js";
import { execute } from "./execute.js";
import { locked, reportWarnings } from "./locked.js";
import {
  type DownOptions,
  planDown,
  planRestart,
  planStart,
  planStop,
  type ProjectModel,
} from "./lifecycle.js";
import { checkLabelledServices, knownLabelledServices, modelFromLabels } from "./labelled-project.js";
import { observe, type ObservedState } from "./observe.js";
import { Plan } from "./plan.js";

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
export { scale, up, type UpContext, upLookups, type UpResult } from "./up.js";

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
