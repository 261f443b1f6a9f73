/**
 * `berth create`: create the containers of the named services (and their dependencies), networks
 * and volumes without starting them, as `docker compose create` does (`up --no-start`): containers
 * are left in state `created`.
 */
import { up } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import { parseScale } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import { loadFromFlags } from "../load-for-cli.js";
import type { CreateFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";
import { upContext } from "../up-context.js";

export async function runCreate(
  globals: GlobalOptions,
  services: string[],
  flags: CreateFlags,
): Promise<number> {
  if (flags.forceRecreate === true && flags.recreate === false) {
    throw new UsageError("--force-recreate and --no-recreate are incompatible");
  }
  const loaded = await loadFromFlags(globals, { services });
  const scale = parseScale(flags.scale ?? [], new Set(Object.keys(loaded.project.services)));
  // Nothing is started, so no host port is bound: the port pre-check of `up` has nothing to check.
  const { checkHostPorts: _unused, ...context } = upContext(globals);
  await withRuntime({ ...globals, project: loaded.project.name }, (runtime) =>
    withProgress(globals, "Running", (progress) =>
      up(
        runtime,
        loaded,
        {
          ...(services.length > 0 ? { services } : {}),
          noStart: true,
          ...(flags.forceRecreate === true ? { forceRecreate: true } : {}),
          ...(flags.recreate === false ? { noRecreate: true } : {}),
          ...(flags.removeOrphans === true ? { removeOrphans: true } : {}),
          ...(Object.keys(scale).length > 0 ? { scale } : {}),
          ...(flags.pull !== undefined ? { pull: flags.pull } : {}),
          ...(flags.quietPull === true ? { quietPull: true } : {}),
          ...(flags.build === true ? { build: true } : {}),
          ...(flags.build === false ? { noBuild: true } : {}),
        },
        progress,
        undefined,
        context,
      ),
    ),
  );
  return 0;
}
