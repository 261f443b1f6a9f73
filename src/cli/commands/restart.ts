/** `berth restart`: restart the containers of the named services (all when none are named); nothing is recreated, so file changes need `up`, as `docker compose restart` does. */
import { restart } from "../../engine/index.js";
import { parseTimeout } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import type { RestartFlags } from "../options/flags.js";
import { loadFromFlags } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runRestart(
  globals: GlobalOptions,
  services: string[],
  flags: RestartFlags,
): Promise<number> {
  const timeoutS = parseTimeout(flags.timeout);
  const loaded = await loadFromFlags(globals, { services });
  await withRuntime(globals, (runtime) =>
    withProgress(globals, "Restarting", (progress) => restart(runtime, loaded, services, timeoutS, progress)),
  );
  return 0;
}
