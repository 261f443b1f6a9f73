/**
 * `berth unpause`: unpause the paused containers of the named services (all when none are named),
 * as `docker compose unpause` does; one-off containers are left alone. Works with `-p` and no file.
 */
import { unpause } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { targetServices } from "../target-services.js";
import { withProgress } from "../ui-for-cli.js";

export async function runUnpause(globals: GlobalOptions, services: string[]): Promise<number> {
  const project = await loadOrName(globals, services);
  await withRuntime(globals, (runtime) =>
    withProgress(globals, "Unpause", (progress) =>
      unpause(runtime, project.name, { services: targetServices(project, services) }, progress),
    ),
  );
  return 0;
}
