/**
 * `pause` and `unpause`: freeze or thaw the running containers of the named services (all when
 * none are named), as `docker compose pause`/`unpause` do (`pkg/compose/pause.go`): one-off
 * containers left out, every container at once, each reported once as `Paused` or `Unpaused`.
 */
import type { ContainerSummary, Runtime } from "../runtime/runtime.js";
import { emitter, type EventSink } from "./events.js";
import { isOneOff } from "./labels.js";
import { ps } from "./ps.js";

export interface PauseOptions {
  /** Only these services' containers; all the project's when empty or absent. */
  readonly services?: readonly string[];
}

/** What `pause` and `unpause` do to each container. */
export type PauseAction = "pause" | "unpause";

/**
 * Pauses (or unpauses) the running containers; resolves with the containers it listed. The first
 * failure rejects, once every container has been asked.
 */
export async function pause(
  runtime: Runtime,
  projectName: string,
  options: PauseOptions,
  sink: EventSink,
  action: PauseAction = "pause",
): Promise<{ readonly containers: readonly ContainerSummary[] }> {
  const emit = emitter(sink);
  const services = options.services ?? [];
  // Running ones only, as Compose lists them (a paused container is listed as running is).
  const listed = await ps(runtime, projectName, services.length > 0 ? { services } : {});
  const containers = listed.filter((c) => !isOneOff(c.labels));
  const outcomes = await Promise.allSettled(
    containers.map(async (container) => {
      // Thawing a container that is not frozen (or freezing a frozen one) is nothing to do, on
      // every runtime: the native one refuses it as Docker's engine does, the Docker one ignores it.
      const frozen = container.status === "paused";
      if (action === "pause" && !frozen) await runtime.containers.pause(container.id);
      else if (action === "unpause" && frozen) await runtime.containers.unpause(container.id);
      emit("container", container.name, action === "pause" ? "Paused" : "Unpaused");
    }),
  );
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  return { containers };
}
