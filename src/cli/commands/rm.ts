/**
 * `berth rm`: remove the stopped containers of the named services (all when none are named), as
 * `docker compose rm` does: it names them and asks first unless `-f`; `-s` stops running ones
 * first, `-v` removes their anonymous volumes. Works with `-p` and no compose file.
 */
import { removeContainers, stop, stoppedContainers } from "../../engine/index.js";
import { confirm } from "../confirm.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import type { RmFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";
import { targetServices } from "../target-services.js";
import { withProgress } from "../ui-for-cli.js";

export async function runRm(globals: GlobalOptions, services: string[], flags: RmFlags): Promise<number> {
  const project = await loadOrName(globals, services);
  const scope = { services: targetServices(project, services) };
  return withRuntime({ ...globals, project: project.name }, async (runtime) => {
    if (flags.stop === true) {
      // Compose's rm --stop is its stop: dependents first, each within its stop timeout.
      await withProgress(globals, "Stopping", (progress) =>
        stop(runtime, project.loaded ?? project.name, services, undefined, progress),
      );
    }
    const containers = await stoppedContainers(runtime, project.name, scope);
    if (containers.length === 0) {
      process.stderr.write("No stopped containers\n");
      return 0;
    }
    const message = `Going to remove ${containers.map((c) => c.name).join(", ")}`;
    if (flags.force === true) process.stdout.write(`${message}\n`);
    else if (!(await confirm(message))) return 0;
    await withProgress(globals, "Removing", (progress) =>
      removeContainers(runtime, project.name, containers, { volumes: flags.volumes === true }, progress),
    );
    return 0;
  });
}
