/** `berth start`: start the existing containers of the named services (all when none are named); nothing is created, as `docker compose start` does. Works with `-p` and no compose file. */
import { start } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runStart(globals: GlobalOptions, services: string[]): Promise<number> {
  const project = await loadOrName(globals, services);
  const target = project.loaded ?? project.name;
  await withRuntime({ ...globals, project: project.name }, (runtime) =>
    withProgress(globals, "Starting", (progress) => start(runtime, target, services, undefined, progress)),
  );
  return 0;
}
