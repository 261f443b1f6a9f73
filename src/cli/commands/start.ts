/** `berth start`: start the existing containers of the named services (all when none are named); nothing is created, as `docker compose start` does. */
import { start } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { loadFromFlags } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runStart(globals: GlobalOptions, services: string[]): Promise<number> {
  const loaded = await loadFromFlags(globals, { services });
  await withRuntime(globals, (runtime) =>
    withProgress(globals, "Starting", (progress) => start(runtime, loaded, services, undefined, progress)),
  );
  return 0;
}
