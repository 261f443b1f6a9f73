/**
 * The containers a per-container command (cp, port, top, wait…) acts on, found by labels only, so
 * a project made by docker-compose 1.x (names `project_service_1`) is served as one made by berth.
 * Kept out of index.ts: these commands load neither the planner nor the executor.
 */
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import { EngineError } from "./errors.js";
import { containersFilter } from "./labels.js";
import { containerNumber } from "./names.js";
import { psOrder } from "./ps.js";

export interface ServiceContainersOptions {
  /** Stopped containers too (Compose's `stopped` argument). */
  readonly all?: boolean;
  /** One-off (`run`) containers: excluded unless asked for. */
  readonly oneOff?: "include" | "exclude";
}

/** The containers of `services` (all when none are named), in `ps` order. */
export async function serviceContainers(
  runtime: Runtime,
  project: string,
  services: readonly string[],
  options: ServiceContainersOptions = {},
): Promise<ContainerSummary[]> {
  const listed = await runtime.containers.list({
    labels: containersFilter(project, { oneOff: options.oneOff ?? "exclude" }),
    all: options.all ?? false,
  });
  return psOrder(listed, services);
}

/**
 * The replica `index` of `service` (Compose's `getSpecifiedContainer`): by its container-number
 * label; without an index, the first replica. Errors as Compose words them.
 */
export async function serviceContainer(
  runtime: Runtime,
  project: string,
  service: string,
  options: ServiceContainersOptions & { readonly index?: number | undefined } = {},
): Promise<ContainerSummary> {
  const found = await serviceContainers(runtime, project, [service], options);
  const index = options.index ?? 0;
  if (index <= 0) {
    const first = found[0];
    if (first === undefined) throw new EngineError(`service "${service}" is not running`, { service });
    return first;
  }
  const match = found.find((c) => containerNumber(c.labels) === index);
  if (match === undefined)
    throw new EngineError(`service "${service}" is not running container #${index}`, { service });
  return match;
}
