/**
 * `kill`: a signal (SIGKILL unless told otherwise) to the running containers of the named services
 * (all when none are named), as `docker compose kill` sends it (`pkg/compose/kill.go`): one-off
 * containers included, stopped ones left alone, every container at once, each reported as
 * `Killing` then `Killed`.
 *
 * It takes no project lock: a kill is what ends a stop that takes too long (the second Ctrl-C of
 * `up`), so it must not wait for the lock that stop holds.
 */
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import { emitter, type EventSink } from "./events.js";
import { ps } from "./ps.js";

export interface KillOptions {
  /** Only these services' containers; all the project's when empty or absent. */
  readonly services?: readonly string[];
  /** The signal's name (`SIGKILL`, `SIGINT`, `HUP`, …), as the runtime takes it. Default SIGKILL. */
  readonly signal?: string;
}

export const DEFAULT_KILL_SIGNAL = "SIGKILL";

/**
 * Signals the running containers; resolves with the containers it listed. A container that exited
 * or was removed between the listing and the signal is no longer running, which is what was asked:
 * it reads `Exited`, not an error. Any other failure is reported on the container's line and the
 * first one rejects, once every signal has been sent.
 */
export async function kill(
  runtime: Runtime,
  projectName: string,
  options: KillOptions,
  sink: EventSink,
): Promise<{ readonly containers: readonly ContainerSummary[] }> {
  const emit = emitter(sink);
  const services = options.services ?? [];
  const containers = await ps(runtime, projectName, services.length > 0 ? { services } : {});
  if (containers.length === 0) emit("project", projectName, "Warning", "no container to kill");
  const signal = options.signal ?? DEFAULT_KILL_SIGNAL;
  const outcomes = await Promise.allSettled(
    containers.map(async (container) => {
      emit("container", container.name, "Killing");
      try {
        await runtime.containers.kill(container.id, signal);
        emit("container", container.name, "Killed");
      } catch (error) {
        if (error instanceof NotFoundError || error instanceof ConflictError) {
          emit("container", container.name, "Exited");
          return;
        }
        emit("container", container.name, "Error", "Error while Killing");
        throw error;
      }
    }),
  );
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return { containers };
}
