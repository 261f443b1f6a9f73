/**
 * `berth wait SERVICE…`: blocks until every running container of the services has exited, printing
 * `container "<id>" exited with status code N` for each as `docker compose wait` does, and exits
 * with the code of the last to exit. `--down-project` then takes the project down (orphans too).
 */
import { down } from "../../engine/index.js";
import { EngineError } from "../../engine/errors.js";
import { serviceContainers } from "../../engine/service-containers.js";
import type { GlobalOptions } from "../global-options.js";
import type { WaitFlags } from "../options/flags.js";
import { INTERRUPTED_EXIT_CODE, onInterrupt } from "../interrupts.js";
import { loadOrName } from "../load-for-cli.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runWait(globals: GlobalOptions, services: string[], flags: WaitFlags): Promise<number> {
  const target = await loadOrName(globals, services);
  return withRuntime({ ...globals, project: target.name }, async (runtime) => {
    const containers = await serviceContainers(runtime, target.name, services, { oneOff: "include" });
    if (containers.length === 0) throw new EngineError(`no containers for project "${target.name}"`);
    const controller = new AbortController();
    const removeHandler = onInterrupt(() => controller.abort());
    let code = 0;
    try {
      await Promise.all(
        containers.map(async (c) => {
          const result = await runtime.containers.wait(c.id, { signal: controller.signal });
          process.stdout.write(`container "${c.id}" exited with status code ${result.exitCode}\n`);
          code = result.exitCode;
        }),
      );
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      return INTERRUPTED_EXIT_CODE; // Ctrl-C: stop waiting, leave the containers be
    } finally {
      removeHandler();
    }
    if (flags.downProject === true) {
      await withProgress(globals, "Running", (progress) =>
        down(runtime, target.name, target.loaded, { removeOrphans: true }, progress),
      );
    }
    return code;
  });
}
