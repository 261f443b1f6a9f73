/**
 * `up` and `scale`: converge the project's services on the runtime, in dependency order with
 * maximum parallelism, under the project lock.
 */
import type { LoadedProject } from "../project/load.js";
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import { imageReference, serviceNetworkKeys, servicesInScope, serviceVolumeKeys } from "./desired.js";
import { emitter, type EventSink } from "./events.js";
import { execute } from "./execute.js";
import { locked, reportWarnings } from "./locked.js";
import { observe, type ObserveLookups } from "./observe.js";
import { Plan } from "./plan.js";
import { checkHostPorts } from "./port-check.js";
import { ps, psOrder } from "./ps.js";
import { reconcile, type ReconcileContext, type UpOptions } from "./reconcile.js";

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
