/**
 * `berth top [SERVICE…]`: the processes of the running containers, one table for all as `docker
 * compose top` prints it: SERVICE and # (the replica) first, then the engine's `ps` columns, CMD last.
 */
import { serviceContainers } from "../../engine/service-containers.js";
import { SERVICE_LABEL, CONTAINER_NUMBER_LABEL } from "../../engine/labels.js";
import { type TopSummary, topTable } from "../../ui/plain/top-format.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";

export async function runTop(globals: GlobalOptions, services: string[]): Promise<number> {
  const target = await loadOrName(globals, services);
  const summaries = await withRuntime({ ...globals, project: target.name }, async (runtime) => {
    const containers = await serviceContainers(runtime, target.name, services, { oneOff: "include" });
    return Promise.all(
      containers.map(async (c): Promise<TopSummary> => {
        const top = await runtime.containers.top(c.id);
        return {
          name: c.name,
          service: c.labels[SERVICE_LABEL] ?? c.name,
          replica: c.labels[CONTAINER_NUMBER_LABEL] ?? "",
          titles: top.titles,
          processes: top.processes,
        };
      }),
    );
  });
  process.stdout.write(topTable(summaries));
  return 0;
}
