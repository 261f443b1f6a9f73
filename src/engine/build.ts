/**
 * `build`: the images of the named services (all when none are named) that have a `build:`
 * section, as `docker compose build` makes them with the classic builder
 * (`pkg/compose/build.go`, `build_classic.go`): `--build-arg` over `build.args`, a value-less
 * argument taken from the project's environment (dropped when it has none), `--no-cache` and
 * `--pull` added to each service's own. An image several services share is built once, from the
 * first of them by name. Builds run in parallel; each step and each line of its output is reported
 * on the image's row.
 */
import type { LoadedProject } from "../project/load.js";
import type { BuildSpec, Runtime } from "../runtime/runtime.js";
import { buildSpec, imageReference, servicesInScope } from "./desired.js";
import { emitter, type EventSink } from "./events.js";
import { compareText } from "./observe.js";

export interface BuildOptions {
  /** Only these services; all the project's when empty or absent. */
  readonly services?: readonly string[];
  /** `--with-dependencies`: the named services' dependencies too (transitively). */
  readonly withDependencies?: boolean;
  readonly noCache?: boolean;
  readonly pull?: boolean;
  /** `--build-arg KEY=VAL` (or `KEY` alone: null, taken from the project's environment). */
  readonly args?: Readonly<Record<string, string | null>>;
  /** Report only the start and end of each build, not its steps and output (`-q`). */
  readonly quiet?: boolean;
}

export interface BuiltImage {
  readonly reference: string;
  readonly service: string;
  readonly id: string;
}

/** One image to build: its reference, the service whose `build:` makes it, and the spec. */
export interface PlannedBuild {
  readonly reference: string;
  readonly service: string;
  readonly spec: BuildSpec;
}

/** Which images the run builds, and how; pure. Services without `build:` are skipped, as Compose does. */
export function planBuilds(loaded: LoadedProject, options: BuildOptions): PlannedBuild[] {
  const { project, graph } = loaded;
  const named = options.services ?? [];
  const scope = servicesInScope(project, graph, named, named.length > 0 && !options.withDependencies);
  const byReference = new Map<string, PlannedBuild>();
  for (const name of [...scope].sort(compareText)) {
    const service = project.services[name];
    if (service?.build === undefined) continue;
    const reference = imageReference(project, name);
    if (byReference.has(reference)) continue;
    const spec = buildSpec(name, service, reference);
    byReference.set(reference, {
      reference,
      service: name,
      spec: {
        ...spec,
        args: mergeArgs(spec.args, options.args, project.environment ?? {}),
        ...(options.noCache === true ? { noCache: true } : {}),
        ...(options.pull === true ? { pull: true } : {}),
      },
    });
  }
  return [...byReference.values()];
}

/** Compose's `resolveAndMergeBuildArgs`: the flags' over the file's; a value-less one from the environment. */
function mergeArgs(
  fromFile: Readonly<Record<string, string>> | undefined,
  fromFlags: Readonly<Record<string, string | null>> | undefined,
  environment: Readonly<Record<string, string>>,
): Record<string, string> {
  const args: Record<string, string> = { ...fromFile };
  for (const [key, value] of Object.entries(fromFlags ?? {})) {
    const resolved = value ?? environment[key];
    if (resolved === undefined) delete args[key];
    else args[key] = resolved;
  }
  return args;
}

/**
 * Builds the images in dependency order, as Compose's classic builder does (`InDependencyOrder`):
 * a service's image waits for the images of what it depends on (a Dockerfile may start `FROM` one
 * of them), and independent images build in parallel. Resolves once every build has ended,
 * rejecting with the first failure; what depends on a failed image is not built.
 */
export async function build(
  runtime: Runtime,
  loaded: LoadedProject,
  options: BuildOptions,
  sink: EventSink,
  signal?: AbortSignal,
): Promise<{ readonly built: readonly BuiltImage[] }> {
  const emit = emitter(sink);
  const planned = planBuilds(loaded, options);
  if (planned.length === 0) {
    emit("project", loaded.project.name, "Warning", "No services to build");
    return { built: [] };
  }
  const { project, graph } = loaded;
  const byService = new Map<string, PlannedBuild>();
  for (const p of planned) {
    for (const [name, service] of Object.entries(project.services)) {
      if (service.build !== undefined && imageReference(project, name) === p.reference)
        byService.set(name, p);
    }
  }
  const builds = new Map<string, Promise<BuiltImage>>();
  const ready = new Map<string, Promise<unknown>>();
  /** Settles once the service's dependencies' images, and then its own, are built. */
  const readyOf = (name: string, path: ReadonlySet<string>): Promise<unknown> => {
    let promise = ready.get(name);
    if (promise) return promise;
    const next = new Set(path).add(name);
    const deps = [...graph.dependenciesOf(name).keys()].filter((d) => !next.has(d));
    const own = byService.get(name);
    promise = Promise.all(deps.map((d) => readyOf(d, next))).then(() => (own ? buildOf(own) : undefined));
    ready.set(name, promise);
    return promise;
  };
  const buildOf = (p: PlannedBuild): Promise<BuiltImage> => {
    let promise = builds.get(p.reference);
    if (!promise) {
      promise = buildOne(p);
      builds.set(p.reference, promise);
    }
    return promise;
  };
  const buildOne = async ({ reference, service, spec }: PlannedBuild): Promise<BuiltImage> => {
    emit("image", reference, "Building");
    try {
      const { id } = await runtime.images.build({ ...spec, signal }, (event) => {
        if (options.quiet === true) return;
        const text = event.step
          ? `Step ${event.step.step}/${event.step.total} : ${event.step.text}`
          : event.status;
        const line = text.replace(/\s+$/, "");
        if (line !== "") emit("image", reference, "Building", line);
      });
      emit("image", reference, "Built");
      return { reference, service, id };
    } catch (error) {
      emit("image", reference, "Error", error instanceof Error ? error.message : String(error));
      throw error;
    }
  };
  const outcomes = await Promise.allSettled(
    planned.map((p) => readyOf(p.service, new Set()).then(() => buildOf(p))),
  );
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return {
    built: outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : [])),
  };
}
