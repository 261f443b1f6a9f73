/**
 * `rm`: remove the stopped containers of the named services (all when none are named), as
 * `docker compose rm` does (`pkg/compose/remove.go`), in two steps so the caller can confirm the
 * names in between: `stoppedContainers` (one-off containers left out; a container counts as
 * stopped only if it is not running once inspected, as the listing may be stale), then
 * `removeContainers`. `rm --stop` is `stop` first, as Compose's Remove calls its Stop.
 */
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import type { EventSink } from "./events.js";
import { execute } from "./execute.js";
import { isOneOff, SERVICE_LABEL } from "./labels.js";
import { containerNumber } from "./names.js";
import { containerResource, PlanBuilder } from "./plan.js";
import { ps } from "./ps.js";

export interface RmOptions {
  /** Only these services' containers; all the project's when empty or absent. */
  readonly services?: readonly string[];
}

/** The containers `rm` would remove: the services' stopped ones. */
export async function stoppedContainers(
  runtime: Runtime,
  projectName: string,
  options: RmOptions,
): Promise<readonly ContainerSummary[]> {
  const services = options.services ?? [];
  const listed = (
    await ps(runtime, projectName, { all: true, ...(services.length > 0 ? { services } : {}) })
  ).filter((c) => !isOneOff(c.labels));
  const states = await Promise.all(listed.map((c) => runtime.containers.inspect(c.id)));
  // A container gone since the listing (auto-removed, say) is not offered.
  return listed.filter((_, i) => states[i] !== undefined && states[i].running !== true);
}

/** Removes the containers (with `volumes`, their anonymous volumes too), all at once. */
export async function removeContainers(
  runtime: Runtime,
  projectName: string,
  containers: readonly ContainerSummary[],
  options: { readonly volumes?: boolean },
  sink: EventSink,
): Promise<void> {
  const removals = new PlanBuilder();
  for (const c of containers) {
    removals.add(
      resourceOf(c),
      { kind: "RemoveContainer", container: c.id, display: c.name, volumes: options.volumes ?? false },
      "rm",
    );
  }
  await execute(runtime, removals.build(), sink, { project: projectName });
}

function resourceOf(c: ContainerSummary): string {
  return containerResource(c.labels[SERVICE_LABEL] ?? "", containerNumber(c.labels));
}
