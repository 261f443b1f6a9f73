/**
 * `berth push [SERVICE…]`: push the images the services build and name (`build:` and `image:`,
 * with `build.tags`), as `docker compose push` does; `--ignore-push-failures` turns failures into
 * warnings.
 */
import { push } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import type { PushFlags } from "../options/flags.js";
import { runImageVerb } from "./build.js";

export function runPush(globals: GlobalOptions, services: string[], flags: PushFlags): Promise<number> {
  return runImageVerb(globals, services, "Pushing", flags.quiet === true, (runtime, loaded, sink, signal) =>
    push(
      runtime,
      loaded,
      {
        services,
        ...(flags.includeDeps === true ? { includeDeps: true } : {}),
        ...(flags.ignorePushFailures === true ? { ignoreFailures: true } : {}),
      },
      sink,
      signal,
    ),
  );
}
