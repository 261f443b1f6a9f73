/**
 * `berth down`: stop and remove the project's containers and networks (and with `-v` its volumes,
 * with `--rmi` its images), as `docker compose down` does. Named services: only their containers
 * and those of the services that depend on them; networks and volumes still in use stay. With `-p`
 * it needs no compose file: the stack is found by its labels.
 */
import { down, ps } from "../../engine/index.js";
import { ONEOFF_LABEL, ONEOFF_TRUE, SERVICE_LABEL } from "../../engine/labels.js";
import type { Runtime } from "../../runtime/runtime.js";
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
  return withRuntime({ ...globals, project: project.name }, async (runtime) => {
    const named =
      project.loaded === undefined ? await withContainers(runtime, project.name, services) : services;
    if (named.length === 0 && services.length > 0) {
      // Compose's logrus line: without a file a typo and a service already removed look alike.
      process.stderr.write(
        `INFO[0000] Any of the services [${services.join(" ")}] not running in project "${project.name}"\n`,
      );
      return 0;
    }
    const controller = new AbortController();
    const removeHandler = onInterrupt(() => controller.abort());
    try {
      await withProgress(globals, "Running", (progress) =>
        down(
          runtime,
          project.name,
          project.loaded,
          {
            ...(named.length > 0 ? { services: named } : {}),
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

/**
 * Without a file, the named services that have containers (Compose's `checkSelectedServices`: the
 * project is what the labels say, and the others are skipped).
 */
async function withContainers(
  runtime: Runtime,
  project: string,
  services: readonly string[],
): Promise<string[]> {
  if (services.length === 0) return [];
  const containers = await ps(runtime, project, { all: true });
  const present = new Set(
    containers.filter((c) => c.labels[ONEOFF_LABEL] !== ONEOFF_TRUE).map((c) => c.labels[SERVICE_LABEL]),
  );
  return services.filter((s) => present.has(s));
}
