/**
 * What the engine reports while it works. The engine never prints: every step becomes an
 * `EngineEvent` handed to an `EventSink`, and the UI (src/ui) decides how to show it.
 *
 * Statuses come in pairs, a working one and a done one (`Creating` → `Created`), as Docker
 * Compose's progress events do (`pkg/api/event.go`); `Error` and `Warning` may follow any of them.
 */

/**
 * What an event is about. `project` is the stack as a whole (waiting for its lock, orphans, nothing
 * to remove): the things Compose prints as plain warnings, never as a container's line.
 */
export type EngineResource = "network" | "volume" | "container" | "image" | "project";

export type EngineStatus =
  | "Creating"
  | "Created"
  | "Starting"
  | "Started"
  | "Waiting"
  | "Healthy"
  | "Stopping"
  | "Stopped"
  | "Killing"
  | "Killed"
  | "Paused"
  | "Unpaused"
  | "Removing"
  | "Removed"
  | "Recreate"
  | "Recreated"
  | "Restarting"
  | "Running"
  | "Exited"
  | "Pulling"
  | "Pulled"
  | "Building"
  | "Built"
  | "Pushing"
  | "Pushed"
  | "Skipped"
  | "Error"
  | "Warning";

export interface EngineEvent {
  readonly resource: EngineResource;
  /** The object's name as people know it: `webapp-web-1`, `webapp_default`, `busybox:latest`. */
  readonly id: string;
  readonly status: EngineStatus;
  /** Extra detail: an error's message, a pull's progress, why a step was skipped. */
  readonly text?: string;
  /** Milliseconds since the epoch, when the engine saw it happen. */
  readonly at: number;
}

export interface EventSink {
  on(event: EngineEvent): void;
}

/** Statuses that end a step; the UI can use this to move a row to its finished list. */
export const DONE_STATUSES: ReadonlySet<EngineStatus> = new Set<EngineStatus>([
  "Created",
  "Started",
  "Healthy",
  "Stopped",
  "Killed",
  "Paused",
  "Unpaused",
  "Removed",
  "Recreated",
  "Running",
  "Exited",
  "Pulled",
  "Built",
  "Pushed",
  "Skipped",
  "Error",
]);

/** A sink that drops everything (for callers that do not watch progress). */
export const silentSink: EventSink = { on: () => undefined };

/** A sink that keeps every event, in order (tests, `--dry-run` summaries). */
export function recordingSink(): EventSink & { readonly events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  return { events, on: (event) => void events.push(event) };
}

/** Builds events with the time filled in; `now` is injectable so tests never depend on the clock. */
export function emitter(
  sink: EventSink,
  now: () => number = Date.now,
): (resource: EngineResource, id: string, status: EngineStatus, text?: string) => void {
  return (resource, id, status, text) => {
    const event: EngineEvent =
      text === undefined ? { resource, id, status, at: now() } : { resource, id, status, text, at: now() };
    try {
      sink.on(event);
    } catch {
      // A failing renderer must not break an `up` half-way; the engine's work goes on.
    }
  };
}
