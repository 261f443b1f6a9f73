/**
 * `berth scale web=3 worker=0`: set the number of replicas of services, creating or removing
 * containers, as `docker compose scale` does: their dependencies are brought up too unless
 * `--no-deps`. Existing replicas are kept as they are.
 */
import { scale } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import type { GlobalOptions } from "../global-options.js";
import type { ScaleFlags } from "../options/flags.js";
import { parseScale } from "../flags.js";
import { loadFromFlags } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";
import { upContext } from "../up-context.js";

export async function runScale(globals: GlobalOptions, pairs: string[], flags: ScaleFlags): Promise<number> {
  if (pairs.length === 0) throw new UsageError("scale needs at least one SERVICE=REPLICAS");
  const services = pairs.map((pair) => pair.split("=")[0] ?? "");
  const loaded = await loadFromFlags(globals, { services: services.filter((s) => s !== "") });
  const counts = parseScale(pairs, new Set(Object.keys(loaded.project.services)), "scale");
  await withRuntime({ ...globals, project: loaded.project.name }, (runtime) =>
    withProgress(globals, "Running", (progress) =>
      scale(runtime, loaded, counts, progress, undefined, upContext(globals), flags.deps !== false),
    ),
  );
  return 0;
}
