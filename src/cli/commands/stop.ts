/** `berth stop`: stop the containers of the named services (all when none are named), each within its stop timeout or -t, as `docker compose stop` does. Works with `-p` and no compose file. */
import { stop } from "../../engine/index.js";
import { parseTimeout } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import type { StopFlags } from "../options/flags.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runStop(globals: GlobalOptions, services: string[], flags: StopFlags): Promise<number> {
  const timeoutS = parseTimeout(flags.timeout);
  const project = await loadOrName(globals, services);
  const target = project.loaded ?? project.name;
  await withRuntime({ ...globals, project: project.name }, (runtime) =>
    withProgress(globals, "Stopping", (progress) => stop(runtime, target, services, timeoutS, progress)),
  );
  return 0;
}
