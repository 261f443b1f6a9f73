/**
 * `ps`: the project's containers from one label-filtered listing. Kept apart from index.ts so the
 * commands that only list (ps, logs) load neither the planner nor the executor.
 */
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import { containersFilter, isOneOff, SERVICE_LABEL } from "./labels.js";
import { containerNumber } from "./names.js";

export interface PsOptions {
  readonly all?: boolean;
  readonly services?: readonly string[];
}

/** The project's containers (running only unless `all`), sorted by service, then number, then name. */
export async function ps(
  runtime: Runtime,
  projectName: string,
  options: PsOptions = {},
): Promise<ContainerSummary[]> {
  const listed = await runtime.containers.list({
    labels: containersFilter(projectName),
    all: options.all ?? false,
  });
  return psOrder(listed, options.services);
}

/** The containers of `services` (all when none are named) in `ps` order. */
export function psOrder(
  containers: readonly ContainerSummary[],
  services?: readonly string[],
): ContainerSummary[] {
  const wanted = services && services.length > 0 ? new Set(services) : undefined;
  const key = (c: ContainerSummary) => ({
    service: c.labels[SERVICE_LABEL] ?? "",
    oneOff: isOneOff(c.labels),
    number: containerNumber(c.labels) ?? Number.MAX_SAFE_INTEGER,
  });
  return containers
    .filter((c) => !wanted || wanted.has(c.labels[SERVICE_LABEL] ?? ""))
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka.service !== kb.service) return ka.service < kb.service ? -1 : 1;
      if (ka.oneOff !== kb.oneOff) return ka.oneOff ? 1 : -1;
      if (ka.number !== kb.number) return ka.number - kb.number;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
}
