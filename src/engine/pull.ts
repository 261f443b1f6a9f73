/**
 * `pull`: the images of the named services (all when none are named), as `docker compose pull`
 * pulls them (`pkg/compose/pull.go`): a service without `image:` is skipped (its image is built),
 * `pull_policy: never` and `build` skip, `missing` (and `--policy missing`) skips an image already
 * present unless its tag is `latest`, and every other policy pulls, a refresh window included (an
 * explicit pull is due now). An image several services share is pulled once. A failure stops the
 * run unless the service can build its image instead or `ignoreFailures` is set; with
 * `ignoreFailures` every failure is a warning and the run succeeds.
 */
import type { LoadedProject } from "../project/load.js";
import type { Runtime } from "../runtime/runtime.js";
import { servicesInScope } from "./desired.js";
import { emitter, type EventSink } from "./events.js";
import { compareText } from "./observe.js";

export interface PullOptions {
  readonly services?: readonly string[];
  /** `--include-deps`: the named services' dependencies too. */
  readonly includeDeps?: boolean;
  /** `--policy`: replaces the `pull_policy` of every service with an image. */
  readonly policy?: "missing" | "always";
  /** `--ignore-pull-failures`. */
  readonly ignoreFailures?: boolean;
  /** `--ignore-buildable`: skip images a service can build. */
  readonly ignoreBuildable?: boolean;
  /** `-q`: no per-layer progress. */
  readonly quiet?: boolean;
}

/** What the run does with one service: pull its image, or skip it saying why ("" for no reason given). */
export type PullDecision =
  | { readonly service: string; readonly pull: string }
  | { readonly service: string; readonly skip: string; readonly id: string };

/** Each service's decision, in name order; pure. */
export function planPulls(
  loaded: LoadedProject,
  options: PullOptions,
  present: (reference: string) => boolean,
): PullDecision[] {
  const { project, graph } = loaded;
  const named = options.services ?? [];
  const scope = servicesInScope(project, graph, named, named.length > 0 && options.includeDeps !== true);
  const pulling = new Map<string, string>();
  const decisions: PullDecision[] = [];
  for (const name of [...scope].sort(compareText)) {
    const service = project.services[name];
    if (!service) continue;
    const image = service.image;
    if (image === undefined) {
      decisions.push({ service: name, id: name, skip: "No image to be pulled" });
      continue;
    }
    const policy = options.policy ?? service.pull_policy;
    if (policy === "never" || policy === "build") {
      decisions.push({ service: name, id: image, skip: "" });
      continue;
    }
    if ((policy === "missing" || policy === "if_not_present") && present(image) && !isLatestTag(image)) {
      decisions.push({ service: name, id: image, skip: "Image is already present locally" });
      continue;
    }
    if (service.build !== undefined && options.ignoreBuildable === true) {
      decisions.push({ service: name, id: image, skip: "Image can be built" });
      continue;
    }
    const first = pulling.get(image);
    if (first !== undefined) {
      decisions.push({
        service: name,
        id: image,
        skip: `Image is already being pulled by ${first}`,
      });
      continue;
    }
    pulling.set(image, name);
    decisions.push({ service: name, pull: image });
  }
  return decisions;
}

/** Whether a reference names the `latest` tag, written or implied (`busybox`, `busybox:latest`). */
export function isLatestTag(reference: string): boolean {
  if (reference.includes("@")) return false;
  const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = lastPart.indexOf(":");
  return colon < 0 || lastPart.slice(colon + 1) === "latest";
}

/** Pulls in parallel; resolves with the references that failed (when ignored or buildable). */
export async function pull(
  runtime: Runtime,
  loaded: LoadedProject,
  options: PullOptions,
  sink: EventSink,
  signal?: AbortSignal,
): Promise<{ readonly failed: readonly string[] }> {
  const emit = emitter(sink);
  const { project } = loaded;
  const images = [...new Set(Object.values(project.services).flatMap((s) => (s.image ? [s.image] : [])))];
  const found = new Set<string>();
  await Promise.all(
    images.map(async (ref) => {
      if (await runtime.images.inspect(ref)) found.add(ref);
    }),
  );
  const decisions = planPulls(loaded, options, (ref) => found.has(ref));
  const errors: unknown[] = [];
  const failed: string[] = [];
  const mustBuild: string[] = [];
  // Fails fast, as Compose does, on an image that can be neither pulled nor built.
  const fatal = new AbortController();
  const stop = signal ? AbortSignal.any([signal, fatal.signal]) : fatal.signal;
  await Promise.all(
    decisions.map(async (decision) => {
      if ("skip" in decision)
        return void emit("image", decision.id, "Skipped", ...(decision.skip === "" ? [] : [decision.skip]));
      const reference = decision.pull;
      const service = project.services[decision.service];
      emit("image", reference, "Pulling");
      try {
        await runtime.images.pull(reference, { platform: service?.platform, signal: stop }, (event) => {
          if (options.quiet !== true && event.id !== undefined)
            emit("image", reference, "Pulling", `${event.id}: ${event.status}`);
        });
        emit("image", reference, "Pulled");
      } catch (error) {
        if (stop.aborted && !fatal.signal.aborted) throw error;
        if (fatal.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        const buildable = service?.build !== undefined;
        emit("image", reference, buildable || options.ignoreFailures === true ? "Warning" : "Error", message);
        failed.push(reference);
        errors.push(error);
        if (buildable) mustBuild.push(decision.service);
        else if (options.ignoreFailures !== true) fatal.abort();
      }
    }),
  );
  if (mustBuild.length > 0) {
    emit(
      "project",
      project.name,
      "Warning",
      `Some service image(s) must be built from source by running:\n    berth build ${mustBuild.sort(compareText).join(" ")}`,
    );
  }
  if (errors.length > 0 && options.ignoreFailures !== true) throw errors[0];
  return { failed };
}
