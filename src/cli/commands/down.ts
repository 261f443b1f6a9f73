/**
 * `berth down`: stop and remove the project's containers and networks (and with `-v` its volumes,
 * with `--rmi` its images), as `docker compose down` does. Named services: only their containers
 * and those of the services that depend on them; networks and volumes still in use stay. With `-p`
 * it needs no compose file: the stack is found by its labels.
 */
import { down } from "../../engine/index.js";
import type { GlobalOptions } from "../global-options.js";
import { parseTimeout } from "../flags.js";
import type { DownFlags } from "../options/flags.js";
import { INTERRUPTED_EXIT_CODE, onInterrupt } from "../interrupts.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runDown(globals: GlobalOptions, services: string[], flags: DownFlags): Promise<number> {
  const timeoutS = parseTimeout(flags.timeout);
  const { rmi } = flags;
  const project = await loadOrName(globals, services);
  return withRuntime(globals, async (runtime) => {
    const controller = new AbortController();
    const removeHandler = onInterrupt(() => controller.abort());
    try {
      await withProgress(globals, "Running", (progress) =>
        down(
          runtime,
          project.name,
          project.loaded,
          {
            ...(services.length > 0 ? { services } : {}),
            ...(flags.volumes === true ? { volumes: true } : {}),
            ...(flags.removeOrphans === true ? { removeOrphans: true } : {}),
            ...(timeoutS !== undefined ? { timeoutS } : {}),
            ...(rmi !== undefined ? { rmi } : {}),
          },
          progress,
          controller.signal,
        ),
      );
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      removeHandler();
    }
    return controller.signal.aborted ? INTERRUPTED_EXIT_CODE : 0;
  });
}
