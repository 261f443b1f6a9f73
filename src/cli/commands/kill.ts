/**
 * `berth kill`: send a signal (SIGKILL unless `-s`) to the running containers of the named services
 * (all when none are named), as `docker compose kill` does. With a compose file, containers of
 * services it no longer has are left alone unless `--remove-orphans`. Works with `-p` and no file.
 */
import { kill } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import type { KillFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";
import { targetServices } from "../target-services.js";
import { withProgress } from "../ui-for-cli.js";

export async function runKill(globals: GlobalOptions, services: string[], flags: KillFlags): Promise<number> {
  const project = await loadOrName(globals, services);
  const scope = flags.removeOrphans === true ? services : targetServices(project, services);
  await withRuntime({ ...globals, project: project.name }, (runtime) =>
    withProgress(globals, "Killing", (progress) =>
      kill(
        runtime,
        project.name,
        { services: scope, ...(flags.signal !== undefined ? { signal: flags.signal } : {}) },
        progress,
      ),
    ),
  );
  return 0;
}
