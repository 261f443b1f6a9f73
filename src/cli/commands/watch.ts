/**
 * `berth watch [SERVICE…]`: bring the services up (detached, unless `--no-up`), then act on their
 * `develop.watch` rules until Ctrl-C or SIGTERM (exit 0), as `docker compose watch` does. The
 * watch's lines go to stdout unprefixed, as Compose prints them; the progress of builds, restarts
 * and recreates to stderr. The engine side is src/engine/watch/, loaded only by this command and
 * `up --watch`.
 */
import { build, up } from "../../engine/index.js";
import type { LoadedProject } from "../../project/load.js";
import type { WatchOutput } from "../../engine/watch/watcher.js";
import type { GlobalOptions } from "../global-options.js";
import { onInterrupt } from "../interrupts.js";
import { loadFromFlags, warnToStderr } from "../load-for-cli.js";
import type { WatchFlags } from "../options/flags.js";
import { withRuntime } from "../runtime-for-cli.js";
import { upContext } from "../up-context.js";
import { progressFor, withProgress } from "../ui-for-cli.js";

export async function runWatch(
  globals: GlobalOptions,
  services: string[],
  flags: WatchFlags,
): Promise<number> {
  const loaded = await loadFromFlags(globals, { services });
  const quiet = flags.quiet === true;
  const quietGlobals = quiet ? { ...globals, progress: "quiet" as const } : globals;
  return withRuntime({ ...globals, project: loaded.project.name }, async (runtime) => {
    const stopping = new AbortController();
    const removeHandler = onInterrupt(() => stopping.abort());
    try {
      if (flags.up !== false) {
        // Compose builds the services that have a build and a develop section (pull_policy: build),
        // then brings the selection up without attaching.
        const rebuilt = developedBuilds(loaded, services);
        if (rebuilt.length > 0) {
          await withProgress(quietGlobals, "Building", (progress) =>
            build(runtime, loaded, { services: rebuilt, quiet }, progress, stopping.signal),
          );
        }
        await withProgress(globals, "Running", (progress) =>
          up(
            runtime,
            loaded,
            { ...(services.length > 0 ? { services } : {}) },
            progress,
            stopping.signal,
            upContext(globals),
          ),
        );
      }
      if (stopping.signal.aborted) return 0;
      const { startWatch } = await import("../../engine/watch/watcher.js");
      const session = await startWatch(
        runtime,
        loaded,
        {
          services,
          prune: flags.prune !== false,
          quiet,
          // Restarts and recreates print plainly: the watch's own lines share the terminal.
          sink: progressFor({ ...quietGlobals, progress: plainOr(quietGlobals.progress) }, "Watching"),
        },
        plainOutput(),
      );
      await new Promise<void>((resolve) => {
        if (stopping.signal.aborted) resolve();
        else stopping.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await session.stop();
      return 0;
    } catch (error) {
      // Ctrl-C while bringing the stack up: stop there, as Compose's cancelled context does.
      if (stopping.signal.aborted) return 0;
      throw error;
    } finally {
      removeHandler();
    }
  });
}

/** The services in scope with both a `build:` and a `develop:` section, which Compose rebuilds first. */
function developedBuilds(loaded: LoadedProject, services: readonly string[]): string[] {
  const scope =
    services.length > 0 ? loaded.graph.withDependencies(services) : Object.keys(loaded.project.services);
  return [...scope].filter((name) => {
    const service = loaded.project.services[name];
    return service?.build !== undefined && service.develop !== undefined;
  });
}

/** A live progress view would redraw over the watch's lines: plain unless quiet or json. */
export function plainOr(mode: GlobalOptions["progress"]): GlobalOptions["progress"] {
  return mode === "quiet" || mode === "json" ? mode : "plain";
}

/** `docker compose watch`'s output: its lines unprefixed on stdout, errors on stderr, warnings as logrus prints them. */
function plainOutput(): WatchOutput {
  return {
    info: (line) => process.stdout.write(`${line}\n`),
    error: (line) => process.stderr.write(`${line}\n`),
    warn: (line) => warnToStderr(line),
    execOutput: (chunk, stream) => (stream === "stderr" ? process.stderr : process.stdout).write(chunk),
  };
}
