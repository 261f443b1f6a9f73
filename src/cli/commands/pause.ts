/**
 * `berth pause`: pause the running containers of the named services (all when none are named),
 * as `docker compose pause` does; one-off containers are left alone. Works with `-p` and no file.
 */
import { pause } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { targetServices } from "../target-services.js";
import { withProgress } from "../ui-for-cli.js";

export async function runPause(globals: GlobalOptions, services: string[]): Promise<number> {
  const project = await loadOrName(globals, services);
  await withRuntime(globals, (runtime) =>
    withProgress(globals, "Pause", (progress) =>
      pause(runtime, project.name, { services: targetServices(project, services) }, progress),
    ),
  );
  return 0;
}
