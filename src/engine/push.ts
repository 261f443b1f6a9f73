/**
 * `push`: the images of the named services (all when none are named) that are built here and
 * named (`build:` and `image:`), each with its `build.tags`, as `docker compose push` pushes them
 * (`pkg/compose/push.go`); the other services are skipped. All pushes run at once; a failure is an
 * error unless `ignoreFailures`, which makes it a warning.
 */
import type { LoadedProject } from "../project/load.js";
import type { Runtime } from "../runtime/runtime.js";
import { servicesInScope } from "./desired.js";
import { emitter, type EventSink } from "./events.js";
import { compareText } from "./observe.js";

export interface PushOptions {
  readonly services?: readonly string[];
  /** `--include-deps`: the named services' dependencies too. */
  readonly includeDeps?: boolean;
  /** `--ignore-push-failures`. */
  readonly ignoreFailures?: boolean;
  /** `-q`: no per-layer progress. */
  readonly quiet?: boolean;
}

/** The references to push, each once, and the services skipped; pure. */
export function planPushes(
  loaded: LoadedProject,
  options: PushOptions,
): { readonly push: readonly string[]; readonly skipped: readonly string[] } {
  const { project, graph } = loaded;
  const named = options.services ?? [];
  const scope = servicesInScope(project, graph, named, named.length > 0 && options.includeDeps !== true);
  const push = new Set<string>();
  const skipped: string[] = [];
  for (const name of [...scope].sort(compareText)) {
    const service = project.services[name];
    if (service?.build === undefined || service.image === undefined) {
      skipped.push(name);
      continue;
    }
    for (const tag of [service.image, ...(service.build.tags ?? [])]) push.add(tag);
  }
  return { push: [...push], skipped };
}

export async function push(
  runtime: Runtime,
  loaded: LoadedProject,
  options: PushOptions,
  sink: EventSink,
  signal?: AbortSignal,
): Promise<{ readonly failed: readonly string[] }> {
  const emit = emitter(sink);
  const plan = planPushes(loaded, options);
  for (const name of plan.skipped) emit("image", name, "Skipped");
  const failed: string[] = [];
  const outcomes = await Promise.allSettled(
    plan.push.map(async (reference) => {
      emit("image", reference, "Pushing");
      try {
        await runtime.images.push(reference, { signal }, (event) => {
          if (options.quiet !== true && event.id !== undefined)
            emit("image", reference, "Pushing", `${event.id}: ${event.status}`);
        });
        emit("image", reference, "Pushed");
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        emit("image", reference, options.ignoreFailures === true ? "Warning" : "Error", message);
        failed.push(reference);
        if (options.ignoreFailures !== true) throw error;
      }
    }),
  );
  const rejected = outcomes.find((outcome) => outcome.status === "rejected");
  if (rejected) throw rejected.reason;
  return { failed };
}
