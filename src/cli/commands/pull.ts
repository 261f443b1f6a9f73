/**
 * `berth pull [SERVICE…]`: pull the services' images, as `docker compose pull` does: services
 * that only build their image are skipped, `--policy` replaces each service's `pull_policy`,
 * `--ignore-pull-failures` turns failures into warnings.
 */
import { pull } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import type { PullFlags } from "../options/flags.js";
import { runImageVerb } from "./build.js";

export function runPull(globals: GlobalOptions, services: string[], flags: PullFlags): Promise<number> {
  return runImageVerb(globals, services, "Pulling", flags.quiet === true, (runtime, loaded, sink, signal) =>
    pull(
      runtime,
      loaded,
      {
        services,
        ...(flags.includeDeps === true ? { includeDeps: true } : {}),
        ...(flags.ignorePullFailures === true ? { ignoreFailures: true } : {}),
        ...(flags.ignoreBuildable === true ? { ignoreBuildable: true } : {}),
        ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
      },
      sink,
      signal,
    ),
  );
}
