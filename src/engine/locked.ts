/**
 * What every verb that changes a project shares: it holds the project's lock while it observes and
 * executes, and says its plan's warnings before acting.
 */
import { emitter, type EventSink } from "./events.js";
import type { Plan } from "./plan.js";
import { type LockOptions, withProjectLock } from "./project-lock.js";

/**
 * Runs `work` holding the project's lock (see project-lock.ts), so two berths never interleave
 * their observe and execute on one project; while another holds it, says so once.
 */
export function locked<T>(
  project: string,
  sink: EventSink,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const emit = emitter(sink);
  const options: LockOptions = {
    signal,
    onWait: (owner) =>
      emit(
        "project",
        project,
        "Warning",
        `waiting for another berth on project ${project} (pid ${owner.pid})`,
      ),
  };
  return withProjectLock(project, options, work);
}

export function reportWarnings(sink: EventSink, plan: Plan): void {
  const emit = emitter(sink);
  for (const warning of plan.warnings) emit(warning.resource, warning.id, "Warning", warning.text);
}
