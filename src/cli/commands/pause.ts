/**
 * `berth pause` and `berth unpause`: freeze or thaw the running containers of the named services
 * (all when none are named), as `docker compose pause`/`unpause` do; one-off containers are left
 * alone. Works with `-p` and no compose file.
 */
import { pause, type PauseAction } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { targetServices } from "../target-services.js";
import { withProgress } from "../ui-for-cli.js";

export async function runPause(
  globals: GlobalOptions,
  services: string[],
  action: PauseAction,
): Promise<number> {
  const project = await loadOrName(globals, services);
  await withRuntime({ ...globals, project: project.name }, (runtime) =>
    withProgress(globals, action === "pause" ? "Pausing" : "Unpausing", (progress) =>
      pause(runtime, project.name, { services: targetServices(project, services) }, progress, action),
    ),
  );
  return 0;
}
