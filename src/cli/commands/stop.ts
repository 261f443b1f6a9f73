/** `berth stop`: stop the containers of the named services (all when none are named), each within its stop timeout or -t, as `docker compose stop` does. */
import { stop } from "../../engine/index.js";
import { parseTimeout } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import type { StopFlags } from "../options/flags.js";
import { loadFromFlags } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runStop(globals: GlobalOptions, services: string[], flags: StopFlags): Promise<number> {
  const timeoutS = parseTimeout(flags.timeout);
  const loaded = await loadFromFlags(globals, { services });
  await withRuntime(globals, (runtime) =>
    withProgress(globals, "Stopping", (progress) => stop(runtime, loaded, services, timeoutS, progress)),
  );
  return 0;
}
