/**
 * `berth restart`: restart the containers of the named services (all when none are named), with
 * the services that depend on them with `restart: true` unless `--no-deps`; nothing is recreated,
 * so file changes need `up`, as `docker compose restart` does. Works with `-p` and no compose
 * file.
 */
import { restart } from "../../engine/index.js";
import { parseTimeout } from "../flags.js";
import type { GlobalOptions } from "../global-options.js";
import type { RestartFlags } from "../options/flags.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runRestart(
  globals: GlobalOptions,
  services: string[],
  flags: RestartFlags,
): Promise<number> {
  const timeoutS = parseTimeout(flags.timeout);
  const project = await loadOrName(globals, services);
  const target = project.loaded ?? project.name;
  await withRuntime({ ...globals, project: project.name }, (runtime) =>
    withProgress(globals, "Restarting", (progress) =>
      restart(runtime, target, services, timeoutS, progress, undefined, flags.deps === false),
    ),
  );
  return 0;
}
