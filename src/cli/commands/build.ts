/**
 * `berth build [SERVICE…]`: build the images of the services that have a `build:` section, as
 * `docker compose build` does with the engine's classic builder. `--build-arg KEY=VAL` (or `KEY`,
 * taken from the environment) overrides `build.args`; `-q` prints nothing but errors.
 */
import { build, type EventSink } from "../../engine/index.js";
import { UsageError } from "../../errors.js";
import type { LoadedProject } from "../../project/load.js";
import type { Runtime } from "../../runtime/runtime.js";
import type { GlobalOptions } from "../global-options.js";
import { INTERRUPTED_EXIT_CODE, onInterrupt } from "../interrupts.js";
import { loadFromFlags } from "../load-for-cli.js";
import type { BuildFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";
import { withProgress } from "../ui-for-cli.js";

export async function runBuild(
  globals: GlobalOptions,
  services: string[],
  flags: BuildFlags,
): Promise<number> {
  const args = parseBuildArgs(flags.buildArg ?? []);
  return runImageVerb(globals, services, "Building", flags.quiet === true, (runtime, loaded, sink, signal) =>
    build(
      runtime,
      loaded,
      {
        services,
        args,
        ...(flags.withDependencies === true ? { withDependencies: true } : {}),
        ...(flags.cache === false ? { noCache: true } : {}),
        ...(flags.pull === true ? { pull: true } : {}),
      },
      sink,
      signal,
    ),
  );
}

/** `KEY=VAL` → VAL; `KEY` alone → null (the environment's value, if any), as Compose reads them. */
export function parseBuildArgs(items: readonly string[]): Record<string, string | null> {
  const args: Record<string, string | null> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === "") throw new UsageError(`invalid --build-arg "${item}": expected KEY=VALUE or KEY`);
    args[key] = eq < 0 ? null : item.slice(eq + 1);
  }
  return args;
}

/**
 * What `build`, `pull` and `push` share: load the project (the named services' profiles enabled),
 * run `work` with progress (none with `quiet`), and stop it on Ctrl-C, exiting 130.
 */
export async function runImageVerb(
  globals: GlobalOptions,
  services: readonly string[],
  title: string,
  quiet: boolean,
  work: (runtime: Runtime, loaded: LoadedProject, sink: EventSink, signal: AbortSignal) => Promise<unknown>,
): Promise<number> {
  const loaded = await loadFromFlags(globals, { services: [...services] });
  const output = quiet ? { ...globals, progress: "quiet" as const } : globals;
  return withRuntime({ ...globals, project: loaded.project.name }, async (runtime) => {
    const controller = new AbortController();
    const removeHandler = onInterrupt(() => controller.abort());
    try {
      await withProgress(output, title, (progress) => work(runtime, loaded, progress, controller.signal));
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      removeHandler();
    }
    return controller.signal.aborted ? INTERRUPTED_EXIT_CODE : 0;
  });
}
